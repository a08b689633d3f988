package torchfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// pickleEnd walks the pickle opcodes at the start of b without building
// anything and returns the offset just past its STOP. It fails on an
// unknown opcode and on any argument, length-prefixed or newline-ended,
// that runs past the end of b, so that the unpickler, which allocates a
// length it reads before reading the bytes, never allocates more than len(b).
func pickleEnd(b []byte) (int, error) {
	pos := 0
	need := func(n uint64) error {
		if n > uint64(len(b)-pos) {
			return fmt.Errorf("pickle: opcode at offset %d needs %d bytes, %d remain", pos-1, n, len(b)-pos)
		}
		return nil
	}
	// fixed skips an argument of n bytes.
	fixed := func(n uint64) error {
		if err := need(n); err != nil {
			return err
		}
		pos += int(n)
		return nil
	}
	// counted skips an n-byte little-endian length and that many bytes.
	counted := func(n int) error {
		if err := need(uint64(n)); err != nil {
			return err
		}
		var l uint64
		switch n {
		case 1:
			l = uint64(b[pos])
		case 4:
			l = uint64(binary.LittleEndian.Uint32(b[pos:]))
		case 8:
			l = binary.LittleEndian.Uint64(b[pos:])
		}
		pos += n
		return fixed(l)
	}
	line := func() error {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			return fmt.Errorf("pickle: opcode at offset %d: no end of line", pos-1)
		}
		pos += i + 1
		return nil
	}
	for pos < len(b) {
		op := b[pos]
		pos++
		var err error
		switch op {
		case '.': // STOP
			return pos, nil
		case '(', '0', '1', '2', 'N', 'Q', 'R', 'a', 'b', 'd', '}', 'e', 'l', ']', 'o', 's', 't', ')', 'u',
			0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98:
			// no argument
		case 'K', 'h', 'q', 0x80, 0x82: // BININT1 BINGET BINPUT PROTO EXT1
			err = fixed(1)
		case 'M', 0x83: // BININT2 EXT2
			err = fixed(2)
		case 'J', 'j', 'r', 0x84: // BININT LONG_BINGET LONG_BINPUT EXT4
			err = fixed(4)
		case 'G': // BINFLOAT
			err = fixed(8)
		case 'F', 'I', 'L', 'P', 'S', 'V', 'g', 'p': // newline-ended
			err = line()
		case 'c', 'i': // GLOBAL INST: module and name lines
			if err = line(); err == nil {
				err = line()
			}
		case 'U', 'C', 0x8a, 0x8c: // SHORT_BINSTRING SHORT_BINBYTES LONG1 SHORT_BINUNICODE
			err = counted(1)
		case 'T', 'X', 'B', 0x8b: // BINSTRING BINUNICODE BINBYTES LONG4
			err = counted(4)
		case 0x8d, 0x8e, 0x96: // BINUNICODE8 BINBYTES8 BYTEARRAY8
			err = counted(8)
		case 0x95: // FRAME: an 8-byte length; the framed opcodes follow inline
			if err = need(8); err == nil {
				pos += 8
				err = need(binary.LittleEndian.Uint64(b[pos-8:]))
			}
		default:
			return 0, fmt.Errorf("pickle: unknown opcode 0x%02x at offset %d", op, pos-1)
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("pickle: no STOP opcode in %d bytes", len(b))
}

// unpickle checks b with pickleEnd and interprets the pickle with
// classes known to torchfile and persistent IDs resolved by persistent. It
// returns the object and the offset past the pickle. A panic inside the
// unpickler (which trusts more of its input than this package does) becomes
// an error.
func unpickle(b []byte, persistent func(*types.Tuple) (any, error)) (obj any, end int, err error) {
	end, err = pickleEnd(b)
	if err != nil {
		return nil, 0, err
	}
	u := pickle.NewUnpickler(bytes.NewReader(b[:end]))
	u.FindClass = findClass
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok {
			return nil, fmt.Errorf("persistent ID is a %T, not a tuple", id)
		}
		if persistent == nil {
			return nil, fmt.Errorf("unexpected persistent ID")
		}
		return persistent(t)
	}
	defer func() {
		if r := recover(); r != nil {
			obj, end, err = nil, 0, fmt.Errorf("pickle: malformed (%v)", r)
		}
	}()
	obj, err = u.Load()
	if err != nil {
		return nil, 0, fmt.Errorf("pickle: %w", err)
	}
	return obj, end, nil
}

// storageClass is a storage type named in a pickle, such as
// torch.FloatStorage. dtype is nil for a type this package cannot convert.
type storageClass struct {
	name  string
	dtype *dtype
}

// storage is one storage of the file: its type, its key (the record name in
// a zip file), its number of elements, and once read, its raw bytes.
type storage struct {
	class *storageClass
	key   string
	numel int
	data  []byte
	err   error // why data could not be read, reported per tensor
	read  bool
}

// rawTensor is a tensor as the pickle describes it: a view of a storage.
type rawTensor struct {
	st     *storage
	offset int
	shape  []int
	stride []int
}

// rebuildTensor is torch._utils._rebuild_tensor_v2(storage, storage_offset,
// size, stride, requires_grad, backward_hooks[, metadata]) and, with v1,
// the older _rebuild_tensor(storage, storage_offset, size, stride).
type rebuildTensor struct{ v1 bool }

// Call builds a rawTensor from the pickled arguments.
func (r rebuildTensor) Call(args ...any) (any, error) {
	if r.v1 && len(args) != 4 || !r.v1 && len(args) != 6 && len(args) != 7 {
		return nil, fmt.Errorf("_rebuild_tensor: %d arguments", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor: storage is a %T", args[0])
	}
	offset, ok := args[1].(int)
	if !ok || offset < 0 {
		return nil, fmt.Errorf("_rebuild_tensor: bad storage offset %v", args[1])
	}
	shape, err := intTuple(args[2])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor: size: %w", err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor: stride: %w", err)
	}
	if len(shape) != len(stride) {
		return nil, fmt.Errorf("_rebuild_tensor: size %v and stride %v differ in length", shape, stride)
	}
	return &rawTensor{st: st, offset: offset, shape: shape, stride: stride}, nil
}

// rebuildParameter is torch._utils._rebuild_parameter(data, requires_grad,
// backward_hooks[, state]): a Parameter is its tensor here.
type rebuildParameter struct{}

// Call returns the parameter's tensor.
func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("_rebuild_parameter: no arguments")
	}
	if _, ok := args[0].(*rawTensor); !ok {
		return nil, fmt.Errorf("_rebuild_parameter: data is a %T", args[0])
	}
	return args[0], nil
}

func intTuple(v any) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("a %T, not a tuple", v)
	}
	out := make([]int, t.Len())
	for i := range out {
		n, ok := t.Get(i).(int)
		if !ok || n < 0 {
			return nil, fmt.Errorf("element %d is %v, not a non-negative int", i, t.Get(i))
		}
		out[i] = n
	}
	return out, nil
}

// opaqueClass is any class or function the reader does not know. Calling
// or instantiating it builds an opaqueObject that accepts and ignores
// whatever state the pickle gives it; nothing is executed.
type opaqueClass struct{ module, name string }

func (c *opaqueClass) String() string { return c.module + "." + c.name }

// Call returns an opaque instance.
func (c *opaqueClass) Call(...any) (any, error) { return &opaqueObject{class: c}, nil }

// PyNew returns an opaque instance.
func (c *opaqueClass) PyNew(...any) (any, error) { return &opaqueObject{class: c}, nil }

// opaqueObject is an instance of an opaqueClass.
type opaqueObject struct{ class *opaqueClass }

// PySetState ignores the state.
func (*opaqueObject) PySetState(any) error { return nil }

// PyDictSet ignores the attribute.
func (*opaqueObject) PyDictSet(any, any) error { return nil }

// PySetAttr ignores the attribute.
func (*opaqueObject) PySetAttr(string, any) error { return nil }

// Set ignores the item.
func (*opaqueObject) Set(any, any) {}

// Append ignores the item.
func (*opaqueObject) Append(any) {}

// Add ignores the item.
func (*opaqueObject) Add(any) {}

// findClass resolves a GLOBAL of the pickle.
func findClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case "torch._utils._rebuild_tensor":
		return rebuildTensor{v1: true}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		return rebuildParameter{}, nil
	case "collections.OrderedDict":
		return &types.OrderedDictClass{}, nil
	}
	if module == "torch" && strings.HasSuffix(name, "Storage") {
		return &storageClass{name: module + "." + name, dtype: dtypes[name]}, nil
	}
	return &opaqueClass{module: module, name: name}, nil
}

// magicNumber opens a legacy file: 0x1950a86a20f9469cfc6c.
var magicNumber, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// legacyProtocol is the protocol version of the legacy format.
const legacyProtocol = 1001
