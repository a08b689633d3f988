package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// chunkSize is the largest piece of the data section read and converted at
// a time. It is a multiple of every dtype's size.
const chunkSize = 256 << 10

// Decode parses a complete safetensors file held in data. It returns an
// error, never panics, if data is not a valid file or holds a dtype other
// than F32, F16, BF16 or F64. The File does not alias data.
func Decode(data []byte) (*File, error) {
	return Read(bytes.NewReader(data), int64(len(data)))
}

// ReadFile reads the safetensors file at path; see Decode.
func ReadFile(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("safetensors: %s: not a regular file", path)
	}
	f, err := read(fd, st.Size())
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return f, nil
}

// Read parses a safetensors file of size bytes from r, reading exactly size
// bytes; see Decode. Read checks the header against size before it
// allocates, so size must be the true length of what r holds (as for
// io.NewSectionReader): the float32 data it allocates is at most 2*size
// bytes, and it returns an error if r ends before size bytes.
func Read(r io.Reader, size int64) (*File, error) {
	f, err := read(r, size)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// entry is one tensor as the header describes it.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end uint64
	nelem      int
}

// read is Read without the "safetensors: " prefix on its errors.
func read(r io.Reader, size int64) (*File, error) {
	if size < 8 {
		return nil, fmt.Errorf("input is %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("reading header length: %w", eofIsUnexpected(err))
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes that follow it", n, size-8)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("reading header: %w", eofIsUnexpected(err))
	}
	entries, meta, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	if err := checkLayout(entries, uint64(size-8)-n); err != nil {
		return nil, err
	}

	// The entries are now in offset order and tile the data section, so
	// reading them in turn reads the section sequentially.
	f := &File{Tensors: make(map[string]Tensor, len(entries)), Metadata: meta}
	var buf []byte
	if dataLen := uint64(size-8) - n; dataLen > 0 {
		// At least 8 bytes, so that every loop below makes progress.
		buf = make([]byte, min((dataLen+7)&^7, chunkSize))
	}
	for _, e := range entries {
		data := make([]float32, e.nelem)
		elemSize := int(dtypeSize[e.dtype])
		for i := 0; i < len(data); {
			k := min(len(data)-i, len(buf)/elemSize)
			chunk := buf[:k*elemSize]
			if _, err := io.ReadFull(r, chunk); err != nil {
				return nil, fmt.Errorf("tensor %q: reading data: %w", e.name, eofIsUnexpected(err))
			}
			decodeElems(data[i:i+k], chunk, e.dtype)
			i += k
		}
		f.Tensors[e.name] = Tensor{Shape: e.shape, Data: data}
	}
	return f, nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// checkLayout checks each entry's offsets against its shape and dtype and
// against the data section's length dataLen, then checks that the entries
// cover the section exactly. It sorts entries by offset.
func checkLayout(entries []entry, dataLen uint64) error {
	for i := range entries {
		e := &entries[i]
		if e.begin > e.end {
			return fmt.Errorf("tensor %q: data_offsets [%d %d] are reversed", e.name, e.begin, e.end)
		}
		nelem, ok := numElements(e.shape)
		if !ok {
			return fmt.Errorf("tensor %q: shape %s has too many elements", e.name, shapeString(e.shape))
		}
		hi, need := bits.Mul64(uint64(nelem), dtypeSize[e.dtype])
		if hi != 0 || need != e.end-e.begin {
			return fmt.Errorf("tensor %q: %s shape %s needs %s bytes, data_offsets give %d",
				e.name, e.dtype, shapeString(e.shape), mulString(uint64(nelem), dtypeSize[e.dtype]), e.end-e.begin)
		}
		if e.end > dataLen {
			return fmt.Errorf("tensor %q: data_offsets [%d %d] run past the end of the %d-byte data section",
				e.name, e.begin, e.end, dataLen)
		}
		e.nelem = nelem
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := &entries[i], &entries[j]
		if a.begin != b.begin {
			return a.begin < b.begin
		}
		if a.end != b.end {
			return a.end < b.end
		}
		return a.name < b.name
	})
	var pos uint64
	for i, e := range entries {
		switch {
		case e.begin > pos:
			return fmt.Errorf("data section has a hole: bytes [%d %d) before tensor %q belong to no tensor",
				pos, e.begin, e.name)
		case e.begin < pos:
			p := entries[i-1]
			return fmt.Errorf("tensor %q: data_offsets [%d %d] overlap tensor %q at [%d %d]",
				e.name, e.begin, e.end, p.name, p.begin, p.end)
		}
		pos = e.end
	}
	if pos != dataLen {
		return fmt.Errorf("data section has %d trailing bytes [%d %d) that belong to no tensor",
			dataLen-pos, pos, dataLen)
	}
	return nil
}

// mulString formats a*b without overflow, for error messages.
func mulString(a, b uint64) string {
	if hi, lo := bits.Mul64(a, b); hi == 0 {
		return strconv.FormatUint(lo, 10)
	}
	return fmt.Sprintf("%d*%d", a, b)
}

// headerParser walks the header's JSON tokens, so that duplicate keys, which
// encoding/json's Unmarshal would silently merge, are seen.
type headerParser struct {
	dec *json.Decoder
}

// parseHeader parses and checks the JSON header. It returns the tensors in
// header order and the metadata, nil if there is no "__metadata__".
func parseHeader(h []byte) ([]entry, map[string]string, error) {
	if len(h) == 0 {
		return nil, nil, errors.New("header is empty")
	}
	if !utf8.Valid(h) {
		return nil, nil, errors.New("header is not valid UTF-8")
	}
	p := headerParser{dec: json.NewDecoder(bytes.NewReader(h))}
	p.dec.UseNumber()
	if err := p.delim('{', "header"); err != nil {
		return nil, nil, err
	}
	var (
		entries []entry
		meta    map[string]string
		seen    = make(map[string]bool)
	)
	for p.dec.More() {
		key, err := p.key("header")
		if err != nil {
			return nil, nil, err
		}
		if seen[key] {
			if key == metadataKey {
				return nil, nil, errors.New("header has two \"__metadata__\" entries")
			}
			return nil, nil, fmt.Errorf("tensor %q appears twice in the header", key)
		}
		seen[key] = true
		if key == metadataKey {
			if meta, err = p.metadata(); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := p.tensorInfo(key)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if err := p.delim('}', "header"); err != nil {
		return nil, nil, err
	}
	off := p.dec.InputOffset()
	if i := bytes.IndexFunc(h[off:], func(r rune) bool { return !isJSONSpace(r) }); i >= 0 {
		return nil, nil, fmt.Errorf("header has data after its JSON object, at byte %d", off+int64(i))
	}
	return entries, meta, nil
}

func isJSONSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r'
}

// token returns the next token; where names what is being parsed, for the
// error message.
func (p *headerParser) token(where string) (json.Token, error) {
	t, err := p.dec.Token()
	if err == nil {
		return t, nil
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("%s: JSON ends early", where)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, fmt.Errorf("%s: invalid JSON at header byte %d: %v", where, se.Offset, err)
	}
	return nil, fmt.Errorf("%s: invalid JSON: %v", where, err)
}

// delim consumes the delimiter d.
func (p *headerParser) delim(d json.Delim, where string) error {
	t, err := p.token(where)
	if err != nil {
		return err
	}
	if t != d {
		return fmt.Errorf("%s: want %q, found %s", where, d, describe(t))
	}
	return nil
}

// key consumes an object key.
func (p *headerParser) key(where string) (string, error) {
	t, err := p.token(where)
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("%s: want a key, found %s", where, describe(t))
	}
	return s, nil
}

// metadata parses the value of "__metadata__", an object of strings.
func (p *headerParser) metadata() (map[string]string, error) {
	const where = `"__metadata__"`
	t, err := p.token(where)
	if err != nil {
		return nil, err
	}
	if t != json.Delim('{') {
		return nil, fmt.Errorf("%s must be an object of strings, found %s", where, describe(t))
	}
	meta := make(map[string]string)
	for p.dec.More() {
		k, err := p.key(where)
		if err != nil {
			return nil, err
		}
		if _, dup := meta[k]; dup {
			return nil, fmt.Errorf("%s: key %q appears twice", where, k)
		}
		t, err := p.token(where)
		if err != nil {
			return nil, err
		}
		v, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("%s: value of key %q must be a string, found %s", where, k, describe(t))
		}
		meta[k] = v
	}
	return meta, p.delim('}', where)
}

// tensorInfo parses the value of a tensor's key: an object with exactly the
// fields dtype, shape and data_offsets.
func (p *headerParser) tensorInfo(name string) (entry, error) {
	e := entry{name: name}
	where := fmt.Sprintf("tensor %q", name)
	t, err := p.token(where)
	if err != nil {
		return e, err
	}
	if t != json.Delim('{') {
		return e, fmt.Errorf("%s: want an object with dtype, shape and data_offsets, found %s", where, describe(t))
	}
	var haveDtype, haveShape, haveOffsets bool
	for p.dec.More() {
		field, err := p.key(where)
		if err != nil {
			return e, err
		}
		switch field {
		case "dtype":
			if haveDtype {
				return e, fmt.Errorf("%s: field \"dtype\" appears twice", where)
			}
			haveDtype = true
			t, err := p.token(where)
			if err != nil {
				return e, err
			}
			s, ok := t.(string)
			if !ok {
				return e, fmt.Errorf("%s: dtype must be a string, found %s", where, describe(t))
			}
			if _, ok := dtypeSize[s]; !ok {
				return e, fmt.Errorf("%s: dtype %q is not supported (only F32, F16, BF16 and F64 are)", where, s)
			}
			e.dtype = s
		case "shape":
			if haveShape {
				return e, fmt.Errorf("%s: field \"shape\" appears twice", where)
			}
			haveShape = true
			dims, err := p.uints(where, "shape", -1)
			if err != nil {
				return e, err
			}
			e.shape = make([]int, len(dims))
			for i, d := range dims {
				if d > math.MaxInt {
					return e, fmt.Errorf("%s: shape dimension %d is too large", where, d)
				}
				e.shape[i] = int(d)
			}
		case "data_offsets":
			if haveOffsets {
				return e, fmt.Errorf("%s: field \"data_offsets\" appears twice", where)
			}
			haveOffsets = true
			offs, err := p.uints(where, "data_offsets", 2)
			if err != nil {
				return e, err
			}
			e.begin, e.end = offs[0], offs[1]
		default:
			return e, fmt.Errorf("%s: unknown field %q", where, field)
		}
	}
	if err := p.delim('}', where); err != nil {
		return e, err
	}
	switch {
	case !haveDtype:
		return e, fmt.Errorf("%s: missing field \"dtype\"", where)
	case !haveShape:
		return e, fmt.Errorf("%s: missing field \"shape\"", where)
	case !haveOffsets:
		return e, fmt.Errorf("%s: missing field \"data_offsets\"", where)
	}
	return e, nil
}

// uints parses an array of non-negative integers: of length want, or of any
// length if want < 0.
func (p *headerParser) uints(where, field string, want int) ([]uint64, error) {
	t, err := p.token(where)
	if err != nil {
		return nil, err
	}
	if t != json.Delim('[') {
		return nil, fmt.Errorf("%s: %s must be an array of non-negative integers, found %s", where, field, describe(t))
	}
	vals := []uint64{}
	for p.dec.More() {
		t, err := p.token(where)
		if err != nil {
			return nil, err
		}
		num, ok := t.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s: %s must be an array of non-negative integers, found %s", where, field, describe(t))
		}
		v, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			switch {
			case strings.HasPrefix(string(num), "-"):
				return nil, fmt.Errorf("%s: %s has negative value %s", where, field, num)
			case strings.ContainsAny(string(num), ".eE"):
				return nil, fmt.Errorf("%s: %s has non-integer value %s", where, field, num)
			default:
				return nil, fmt.Errorf("%s: %s value %s does not fit in 64 bits", where, field, num)
			}
		}
		vals = append(vals, v)
	}
	if err := p.delim(']', where); err != nil {
		return nil, err
	}
	if want >= 0 && len(vals) != want {
		return nil, fmt.Errorf("%s: %s has %d values, want %d", where, field, len(vals), want)
	}
	return vals, nil
}

// describe names a JSON token for an error message.
func describe(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return fmt.Sprintf("string %q", truncate(v, 32))
	case json.Number:
		return "number " + truncate(string(v), 32)
	case bool:
		return fmt.Sprintf("%v", v)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", t)
}

// truncate shortens s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
