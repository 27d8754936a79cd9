package sheet

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// What goes out comes back the same in both formats — Chinese text, a
// formula-looking cell, commas, quotes and line breaks — and a CSV cell a
// spreadsheet would run is defused in the file itself.
func TestRoundTrip(t *testing.T) {
	header := []string{"姓名", "电话", "备注"}
	rows := [][]string{
		{"张三", "13800000000", "=HYPERLINK(\"http://x\",\"点我\")"},
		{"李四, \"老客户\"", "+86 138", "第一行\n第二行"},
		{"王五", "", "@SUM(A1)"},
	}
	for _, f := range []Format{CSV, XLSX} {
		var b bytes.Buffer
		if err := Write(&b, f, header, rows); err != nil {
			t.Fatalf("%s: write: %v", f, err)
		}
		if f == CSV {
			if !bytes.HasPrefix(b.Bytes(), []byte("\uFEFF")) {
				t.Fatalf("csv without a byte-order mark")
			}
			if !strings.Contains(b.String(), `'=HYPERLINK`) || !strings.Contains(b.String(), "'@SUM") {
				t.Fatalf("formula cells not defused:\n%s", b.String())
			}
		}
		got, err := Read(&b, f, 10)
		if err != nil {
			t.Fatalf("%s: read: %v", f, err)
		}
		want := append([][]string{header}, rows...)
		// XLSX drops trailing empty cells.
		want[3] = []string{"王五", "", "@SUM(A1)"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %q, want %q", f, got, want)
		}
	}
}

func TestReadRefusesBadInput(t *testing.T) {
	if _, err := Read(strings.NewReader("PK\x03\x04garbage"), XLSX, 10); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("broken xlsx: %v, want ErrUnreadable", err)
	}
	if _, err := Read(strings.NewReader("a,\"b\nc"), CSV, 10); !errors.Is(err, ErrUnreadable) {
		t.Fatalf("broken csv: %v, want ErrUnreadable", err)
	}
	if _, err := Read(strings.NewReader("h\n1\n2\n3\n"), CSV, 2); !errors.Is(err, ErrTooMany) {
		t.Fatalf("3 rows over a limit of 2: %v, want ErrTooMany", err)
	}
	if _, err := ParseFormat("xls"); !errors.Is(err, ErrFormat) {
		t.Fatalf("xls: %v", err)
	}
}

// An uploaded file never panics the reader, whatever its bytes.
func FuzzRead(f *testing.F) {
	var x bytes.Buffer
	_ = Write(&x, XLSX, []string{"a"}, [][]string{{"1"}})
	f.Add(x.Bytes(), true)
	f.Add([]byte("\uFEFF姓名,电话\n张三,'=1\n"), false)
	f.Fuzz(func(t *testing.T, b []byte, xlsx bool) {
		format := CSV
		if xlsx {
			format = XLSX
		}
		rows, err := Read(bytes.NewReader(b), format, 100)
		if err == nil && len(rows) > 101 {
			t.Fatalf("%d rows over the limit", len(rows))
		}
	})
}
