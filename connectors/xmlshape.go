package connectors

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// CheckXMLShape bounds a platform's XML (WeChat's, WeCom's) before it is
// decoded into structs: one <xml> root, no DTDs, at most maxDepth deep and
// maxElements elements. The error says what is wrong; the connector answers
// it as a malformed request.
func CheckXMLShape(b []byte, maxDepth, maxElements int) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	depth, elements, roots := 0, 0, 0
	for {
		tok, err := d.Token() // Token (not RawToken) also checks that tags match
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			elements++
			if depth == 1 {
				roots++
				if t.Name.Local != "xml" || roots > 1 {
					return errors.New("the document must be one <xml> element")
				}
			}
			if depth > maxDepth || elements > maxElements {
				return fmt.Errorf("XML nested deeper than %d or with more than %d elements", maxDepth, maxElements)
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return errors.New("DTDs and entity declarations are not accepted")
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return errors.New("text outside the <xml> element")
			}
		}
	}
	if roots != 1 || depth != 0 {
		return errors.New("the document must be one complete <xml> element")
	}
	return nil
}
