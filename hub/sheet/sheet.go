// Package sheet writes and reads the tables people move in and out of the
// hub as spreadsheets: CSV (UTF-8 with a byte-order mark, which Excel needs
// to read Chinese) or XLSX. A CSV cell a spreadsheet would run as a formula
// is defused on the way out and restored on the way in; XLSX cells are
// always written as text, never as formulas.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// Format is a spreadsheet file format.
type Format string

// The formats the hub reads and writes.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// ErrFormat is returned for a format the hub does not read or write.
var ErrFormat = errors.New("format must be csv or xlsx")

// ErrUnreadable is returned for a file that is not the format it claims.
var ErrUnreadable = errors.New("the file cannot be read as a spreadsheet")

// ParseFormat reads a format name; empty means CSV.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "csv":
		return CSV, nil
	case "xlsx":
		return XLSX, nil
	}
	return "", ErrFormat
}

// ContentType is the media type of a file of this format.
func (f Format) ContentType() string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// Filename is name with this format's extension.
func (f Format) Filename(name string) string { return name + "." + string(f) }

// Write writes a header and rows as one sheet; an XLSX sheet refuses a
// cell longer than MaxCell (a *TooLongError).
func Write(w io.Writer, f Format, header []string, rows [][]string) error {
	if f == XLSX {
		return writeXLSX(w, header, rows)
	}
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	cw := csv.NewWriter(&b)
	_ = cw.Write(header)
	for _, r := range rows {
		out := make([]string, len(r))
		for i, c := range r {
			out[i] = Defuse(c)
		}
		_ = cw.Write(out)
	}
	cw.Flush()
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// MaxCell is the most characters a spreadsheet cell holds (Excel's limit,
// counted in UTF-16 units; excelize cuts a longer string without a word).
const MaxCell = excelize.TotalCellChars

// CellLen is the length of s as a spreadsheet counts it (UTF-16 units).
func CellLen(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// TooLongError is a cell longer than MaxCell: an XLSX sheet refuses it
// rather than cut it (a cut cell would come back changed on import).
type TooLongError struct {
	Row, Col int // the data row and the column, from 0
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("row %d, column %d: more than %d characters, the most a spreadsheet cell holds", e.Row+1, e.Col+1, MaxCell)
}

func writeXLSX(w io.Writer, header []string, rows [][]string) error {
	for i, r := range rows {
		for j, c := range r {
			if len(c) > MaxCell && CellLen(c) > MaxCell {
				return &TooLongError{Row: i, Col: j}
			}
		}
	}
	x := excelize.NewFile()
	defer x.Close()
	sw, err := x.NewStreamWriter("Sheet1")
	if err != nil {
		return fmt.Errorf("xlsx stream: %w", err)
	}
	for i, r := range append([][]string{header}, rows...) {
		cells := make([]any, len(r))
		for j, c := range r {
			// A plain string cell is text: excelize writes it as an inline
			// string, never as a formula, whatever it starts with.
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("xlsx row %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}

// Read reads the first sheet's rows, the header row included, at most
// maxRows+1 of them (ErrTooMany past that). The caller bounds the bytes.
func Read(r io.Reader, f Format, maxRows int) ([][]string, error) {
	if f == XLSX {
		return readXLSX(r, maxRows)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
	cr.FieldsPerRecord = -1
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
		}
		if len(rows) > maxRows {
			return nil, ErrTooMany
		}
		for i, c := range rec {
			rec[i] = Restore(c)
		}
		rows = append(rows, rec)
	}
}

// ErrTooMany is returned for a file with more rows than the caller takes.
var ErrTooMany = errors.New("too many rows")

// xlsxLimit bounds what an uploaded workbook may unzip to (a small file
// can expand enormously).
const xlsxLimit = 64 << 20

func readXLSX(r io.Reader, maxRows int) ([][]string, error) {
	x, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: xlsxLimit, UnzipXMLSizeLimit: xlsxLimit / 4})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	defer x.Close()
	names := x.GetSheetList()
	if len(names) == 0 {
		return nil, ErrUnreadable
	}
	it, err := x.Rows(names[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	defer it.Close()
	var rows [][]string
	for it.Next() {
		if len(rows) > maxRows {
			return nil, ErrTooMany
		}
		rec, err := it.Columns()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
		}
		rows = append(rows, rec)
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	return rows, nil
}

// Defuse keeps a spreadsheet from running a CSV cell as a formula: one
// starting with = + - @, a tab or a carriage return gets a leading '.
func Defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Restore takes off what Defuse added.
func Restore(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}
