package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Write writes f to w in safetensors format, every tensor as F32. The bytes
// depend only on f; see the package documentation for the layout.
//
// Write returns an error, before writing anything, if f is nil, a tensor's
// len(Data) differs from the product of its Shape (or the Shape has a
// negative dimension), a tensor is named "__metadata__", a name or metadata
// string is not valid UTF-8, or the header would exceed MaxHeaderSize. It
// also returns w's errors.
func Write(w io.Writer, f *File) error {
	if f == nil {
		return errors.New("safetensors: Write: nil File")
	}
	header, err := encodeHeader(f)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if _, err := w.Write(header); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	var buf []byte
	for _, name := range f.Names() {
		data := f.Tensors[name].Data
		for len(data) > 0 {
			k := min(len(data), chunkSize/4)
			if buf == nil {
				buf = make([]byte, chunkSize)
			}
			encodeF32(buf[:4*k], data[:k])
			if _, err := w.Write(buf[:4*k]); err != nil {
				return fmt.Errorf("safetensors: tensor %q: %w", name, err)
			}
			data = data[k:]
		}
	}
	return nil
}

// encodeHeader checks f and returns its header as the reference
// implementation writes it: compact JSON, "__metadata__" first, then the
// tensors in name order with offsets that place them back to back, padded
// with spaces to a multiple of 8 bytes.
func encodeHeader(f *File) ([]byte, error) {
	b := []byte{'{'}
	if f.Metadata != nil {
		keys := make([]string, 0, len(f.Metadata))
		for k, v := range f.Metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("metadata key %q: key or value is not valid UTF-8", k)
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = appendJSONString(b, metadataKey)
		b = append(b, ":{"...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, f.Metadata[k])
		}
		b = append(b, '}')
	}
	var offset uint64
	for i, name := range f.Names() {
		t := f.Tensors[name]
		switch {
		case name == metadataKey:
			return nil, errors.New(`a tensor may not be named "__metadata__"`)
		case !utf8.ValidString(name):
			return nil, fmt.Errorf("tensor %q: name is not valid UTF-8", name)
		}
		n, ok := numElements(t.Shape)
		if !ok {
			return nil, fmt.Errorf("tensor %q: shape %s has a negative dimension or too many elements", name, shapeString(t.Shape))
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("tensor %q: shape %s needs %d elements, Data has %d", name, shapeString(t.Shape), n, len(t.Data))
		}
		if i > 0 || f.Metadata != nil {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, `:{"dtype":"F32","shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		end := offset + 4*uint64(n)
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendUint(b, offset, 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, end, 10)
		b = append(b, "]}"...)
		offset = end
	}
	b = append(b, '}')
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	if len(b) > MaxHeaderSize {
		return nil, fmt.Errorf("header of %d bytes exceeds the limit of %d", len(b), MaxHeaderSize)
	}
	return b, nil
}

// appendJSONString appends s, valid UTF-8, as a JSON string escaped as
// serde_json escapes it: quote, backslash and control characters only, the
// latter as \b \f \n \r \t or \u00xx with lower-case hex.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// testHookWriter, when set by a test, wraps the temporary file's writer in
// WriteFile, so that tests can make writing fail part way.
var testHookWriter func(io.Writer) io.Writer

// WriteFile writes f to path, as Write does, atomically: it writes a
// temporary file in path's directory, syncs it to disk, renames it over path
// and syncs the directory. On error the temporary file is removed and an
// existing file at path is left as it was (unless only the final directory
// sync failed, which the error says). A new file gets permissions 0644; a
// replaced one keeps its permissions. If path is a symbolic link, the link
// itself is replaced.
func WriteFile(path string, f *File) (err error) {
	if f == nil {
		return errors.New("safetensors: WriteFile: nil File")
	}
	dir := filepath.Dir(path)
	perm := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		perm = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	renamed := false
	defer func() {
		if err != nil && !renamed {
			tmp.Close() // may already be closed; the error is moot
			os.Remove(tmp.Name())
		}
	}()
	var w io.Writer = tmp
	if testHookWriter != nil {
		w = testHookWriter(w)
	}
	if err := Write(w, f); err != nil {
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	renamed = true
	if derr := syncDir(dir); derr != nil {
		return fmt.Errorf("safetensors: %s was written but its directory could not be synced: %w", path, derr)
	}
	return nil
}

// syncDir flushes the directory entry changes of dir to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
