package torchfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
	"github.com/semgan/semgan/tensor"
)

// maxPickle caps the size of a zip file's data.pkl. A state dict's pickle
// holds names and shapes only (about 100 bytes per tensor), so this is far
// above any real one.
const maxPickle = 256 << 20

// HasExt reports whether path has the extension of a file torch.save
// writes: .pth or .pt, in any case.
func HasExt(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pth", ".pt":
		return true
	}
	return false
}

// ReadFile reads the state dict that torch.save wrote to path, in the zip
// or the legacy format, as float32 tensors on the default device by their
// state-dict keys. See the package documentation for what it accepts. It
// returns an error naming path, never panics, if the file is not such a
// state dict.
func ReadFile(path string) (map[string]*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("torchfile: %s: not a regular file", path)
	}
	sd, err := read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("torchfile: %s: %w", path, err)
	}
	return sd, nil
}

// Read is ReadFile for the size bytes that r holds (size must be their true
// length, as for io.NewSectionReader). Its errors do not name a file.
func Read(r io.ReaderAt, size int64) (map[string]*tensor.Tensor, error) {
	sd, err := read(r, size)
	if err != nil {
		return nil, fmt.Errorf("torchfile: %w", err)
	}
	return sd, nil
}

// read is Read without the package prefix on its errors.
func read(r io.ReaderAt, size int64) (map[string]*tensor.Tensor, error) {
	var head [4]byte
	if size < int64(len(head)) {
		return nil, fmt.Errorf("%d bytes: too short for a PyTorch file", size)
	}
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, err
	}
	var (
		obj  any
		load func(*storage) error
		err  error
	)
	switch {
	case string(head[:]) == "PK\x03\x04":
		obj, load, err = readZip(r, size)
	case head[0] == 0x80: // a pickle's PROTO opcode
		obj, err = readLegacy(r, size)
		load = func(*storage) error { return nil }
	default:
		return nil, fmt.Errorf("neither a zip archive nor a legacy PyTorch pickle (starts with % x)", head)
	}
	if err != nil {
		return nil, err
	}
	entries, err := stateDict(obj)
	if err != nil {
		return nil, err
	}
	budget := size + 1<<20 // elements the tensors may hold together
	sd := map[string]*tensor.Tensor{}
	for _, e := range entries {
		t, ok := e.value.(*rawTensor)
		if !ok {
			if torchObject(e.value) {
				return nil, fmt.Errorf("tensor %q: %s is not supported", e.key, e.value.(*opaqueObject).class)
			}
			continue // a number, a string, a nested dict: not a tensor
		}
		if t.st.class.dtype == nil {
			return nil, fmt.Errorf("tensor %q: storage type %s is not supported", e.key, t.st.class.name)
		}
		if !t.st.read {
			t.st.read, t.st.err = true, load(t.st)
		}
		if t.st.err != nil {
			return nil, fmt.Errorf("tensor %q: %w", e.key, t.st.err)
		}
		n, err := t.checkView()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", e.key, err)
		}
		if int64(n) > budget {
			return nil, fmt.Errorf("tensor %q: %d elements from %d bytes of input: too many (an expanded view?)", e.key, n, size)
		}
		budget -= int64(n)
		sd[e.key] = tensor.FromSlice(t.float32s(n), t.shape...)
	}
	return sd, nil
}

// entry is one key and value of a pickled dict.
type entry struct {
	key   string
	value any
}

// dictEntries returns the string-keyed entries of a pickled dict or
// OrderedDict in order, and false if v is not a dict.
func dictEntries(v any) ([]entry, bool) {
	var out []entry
	add := func(k, v any) {
		if s, ok := k.(string); ok {
			out = append(out, entry{s, v})
		}
	}
	switch d := v.(type) {
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			add(e.Key, e.Value)
		}
	case *types.Dict:
		for _, e := range *d {
			add(e.Key, e.Value)
		}
	default:
		return nil, false
	}
	return out, true
}

// stateDict finds the state dict in the unpickled object: the object itself
// if it is a dict, or its "state_dict" entry if that is a dict.
func stateDict(obj any) ([]entry, error) {
	top, ok := dictEntries(obj)
	if !ok {
		if o, ok := obj.(*opaqueObject); ok {
			return nil, fmt.Errorf("holds a pickled %s object, not a state dict (save model.state_dict() instead)", o.class)
		}
		return nil, fmt.Errorf("holds a %s, not a state dict", pyType(obj))
	}
	for _, e := range top {
		if e.key == "state_dict" {
			if nested, ok := dictEntries(e.value); ok {
				return nested, nil
			}
		}
	}
	tensors := 0
	for _, e := range top {
		if torchObject(e.value) {
			tensors++
		}
	}
	if tensors == 0 && len(top) > 0 {
		var keys []string
		for _, e := range top[:min(len(top), 10)] {
			keys = append(keys, fmt.Sprintf("%q (%s)", e.key, pyType(e.value)))
		}
		return nil, fmt.Errorf("holds a dict without tensors or a \"state_dict\" entry: %s", strings.Join(keys, ", "))
	}
	return top, nil
}

// torchObject reports whether v is a tensor or another object built by
// torch (such as a quantized or sparse tensor, which is not supported).
func torchObject(v any) bool {
	switch v := v.(type) {
	case *rawTensor:
		return true
	case *opaqueObject:
		return v.class.module == "torch" || strings.HasPrefix(v.class.module, "torch.")
	}
	return false
}

// pyType names the Python type of an unpickled value, for error messages.
func pyType(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	case *types.Dict, *types.OrderedDict:
		return "dict"
	case *rawTensor:
		return "tensor"
	case *opaqueObject:
		return v.class.String()
	}
	return fmt.Sprintf("%T", v)
}

// readZip reads the pickle of a zip-format file and returns the object and
// a function that reads a storage's record.
func readZip(r io.ReaderAt, size int64) (any, func(*storage) error, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the zip archive: %w", err)
	}
	records := map[string]*zip.File{}
	prefix := ""
	for _, f := range zr.File {
		records[f.Name] = f
		if dir, base := path.Split(f.Name); base == "data.pkl" && strings.Count(dir, "/") == 1 && prefix == "" {
			prefix = dir
		}
	}
	for name := range records {
		if strings.HasSuffix(name, "/constants.pkl") || strings.Contains(name, "/code/") {
			return nil, nil, errors.New("a TorchScript archive (torch.jit.save), not a state dict saved with torch.save")
		}
	}
	if prefix == "" {
		return nil, nil, errors.New("a zip archive without ARCHIVE/data.pkl: not written by torch.save")
	}
	if bo := records[prefix+"byteorder"]; bo != nil {
		b, err := readRecord(bo, 16, size)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", bo.Name, err)
		}
		if string(b) != "little" {
			return nil, nil, fmt.Errorf("byte order %q: only little-endian files are read", b)
		}
	}
	pkl, err := readRecord(records[prefix+"data.pkl"], maxPickle, size)
	if err != nil {
		return nil, nil, fmt.Errorf("%sdata.pkl: %w", prefix, err)
	}
	storages := map[string]*storage{}
	persistent := func(id *types.Tuple) (any, error) {
		if id.Len() != 5 || id.Get(0) != "storage" {
			return nil, fmt.Errorf("persistent ID %s is not a storage", describeID(id))
		}
		return storageFromID(storages, id)
	}
	obj, _, err := unpickle(pkl, persistent)
	if err != nil {
		return nil, nil, fmt.Errorf("%sdata.pkl: %w", prefix, err)
	}
	load := func(st *storage) error {
		name := prefix + "data/" + st.key
		rec := records[name]
		if rec == nil {
			return fmt.Errorf("no record %s for its storage", name)
		}
		want := uint64(st.numel) * uint64(st.class.dtype.size)
		if st.numel > math.MaxInt/st.class.dtype.size || rec.UncompressedSize64 != want {
			return fmt.Errorf("record %s holds %d bytes; a storage of %d %s elements needs %d", name, rec.UncompressedSize64, st.numel, st.class.dtype.name, want)
		}
		data, err := readRecord(rec, want, size)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		st.data = data
		return nil
	}
	return obj, load, nil
}

// describeID describes a persistent ID that is not understood by its kind
// (the first element) and length.
func describeID(id *types.Tuple) string {
	if id.Len() == 0 {
		return "()"
	}
	if s, ok := id.Get(0).(string); ok {
		return fmt.Sprintf("(%q, ...) of %d elements", s, id.Len())
	}
	return fmt.Sprintf("(%s, ...) of %d elements", pyType(id.Get(0)), id.Len())
}

// storageFromID returns the storage of the persistent ID
// ('storage', class, key, location, numel, ...), the same one for every
// mention of the key.
func storageFromID(storages map[string]*storage, id *types.Tuple) (*storage, error) {
	class, ok1 := id.Get(1).(*storageClass)
	key, ok2 := id.Get(2).(string)
	n, ok3 := id.Get(4).(int)
	if !ok1 || !ok2 || !ok3 || n < 0 {
		return nil, fmt.Errorf("malformed storage ID (%s, %s, %s, %s)", pyType(id.Get(1)), pyType(id.Get(2)), pyType(id.Get(3)), pyType(id.Get(4)))
	}
	if st := storages[key]; st != nil {
		if st.class.name != class.name || st.numel != n {
			return nil, fmt.Errorf("storage %q appears as %d %s and as %d %s", key, st.numel, st.class.name, n, class.name)
		}
		return st, nil
	}
	st := &storage{class: class, key: key, numel: n}
	storages[key] = st
	return st, nil
}

// readRecord reads a zip record of at most limit bytes, checking its CRC.
// Its memory grows with the bytes actually read, from at most the archive's
// size, so a record that claims more than it holds cannot make it allocate
// the claim.
func readRecord(f *zip.File, limit uint64, archiveSize int64) ([]byte, error) {
	if f.UncompressedSize64 > limit {
		return nil, fmt.Errorf("%d bytes, more than the %d expected", f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	n := int64(f.UncompressedSize64)
	buf := bytes.NewBuffer(make([]byte, 0, min(n, archiveSize)+1))
	// Reading past the end makes the zip reader check the CRC.
	if _, err := buf.ReadFrom(io.LimitReader(rc, n+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) != n {
		return nil, fmt.Errorf("holds %d bytes, not the %d its header says", buf.Len(), n)
	}
	return buf.Bytes(), nil
}

// readLegacy parses a legacy-format file: the magic number, the protocol
// version, the system information, the object, the storage keys, then each
// storage as an int64 element count and its elements. It fills the data of
// every storage.
func readLegacy(r io.ReaderAt, size int64) (any, error) {
	b := make([]byte, size)
	if n, err := r.ReadAt(b, 0); n < len(b) {
		return nil, err
	}
	pos := 0
	next := func(what string, persistent func(*types.Tuple) (any, error)) (any, error) {
		obj, end, err := unpickle(b[pos:], persistent)
		if err != nil {
			return nil, fmt.Errorf("legacy format: %s at offset %d: %w", what, pos, err)
		}
		pos += end
		return obj, nil
	}
	magic, err := next("magic number", nil)
	if err != nil {
		return nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(magicNumber) != 0 {
		return nil, errors.New("a pickle without PyTorch's magic number: not written by torch.save")
	}
	proto, err := next("protocol version", nil)
	if err != nil {
		return nil, err
	}
	if proto != legacyProtocol {
		return nil, fmt.Errorf("legacy format: protocol version %v, want %d", proto, legacyProtocol)
	}
	info, err := next("system information", nil)
	if err != nil {
		return nil, err
	}
	if entries, ok := dictEntries(info); ok {
		for _, e := range entries {
			if e.key == "little_endian" && e.value != true {
				return nil, errors.New("legacy format: written on a big-endian machine; only little-endian files are read")
			}
		}
	}
	storages := map[string]*storage{}
	obj, err := next("object", func(id *types.Tuple) (any, error) {
		switch {
		case id.Len() == 6 && id.Get(0) == "storage":
			if id.Get(5) != nil {
				return nil, errors.New("legacy format: storage views are not supported")
			}
			return storageFromID(storages, id)
		case id.Len() >= 2 && id.Get(0) == "module":
			return &opaqueObject{class: &opaqueClass{module: "module", name: pyType(id.Get(1))}}, nil
		}
		return nil, fmt.Errorf("legacy format: persistent ID %s is not a storage or module", describeID(id))
	})
	if err != nil {
		return nil, err
	}
	keyList, err := next("storage keys", nil)
	if err != nil {
		return nil, err
	}
	keys, ok := keyList.(*types.List)
	if !ok {
		return nil, fmt.Errorf("legacy format: storage keys are a %s, not a list", pyType(keyList))
	}
	for _, k := range *keys {
		key, _ := k.(string)
		st := storages[key]
		if st == nil {
			return nil, fmt.Errorf("legacy format: storage %q is not used by the object", key)
		}
		if st.class.dtype == nil {
			return nil, fmt.Errorf("legacy format: storage %q: type %s is not supported", key, st.class.name)
		}
		if len(b)-pos < 8 {
			return nil, fmt.Errorf("legacy format: storage %q: file ends at its element count", key)
		}
		count := int64(le.Uint64(b[pos:]))
		pos += 8
		if count != int64(st.numel) {
			return nil, fmt.Errorf("legacy format: storage %q holds %d elements, the object says %d", key, count, st.numel)
		}
		if st.numel > (len(b)-pos)/st.class.dtype.size {
			return nil, fmt.Errorf("legacy format: storage %q: %d %s elements run past the end of the file", key, st.numel, st.class.dtype.name)
		}
		nb := st.numel * st.class.dtype.size
		st.data, st.read = b[pos:pos+nb], true
		pos += nb
	}
	for key, st := range storages {
		if !st.read {
			return nil, fmt.Errorf("legacy format: storage %q has no data", key)
		}
	}
	return obj, nil
}
