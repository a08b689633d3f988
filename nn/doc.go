// Package nn holds the layers, initialisers, optimiser and state dicts of
// semgan, shaped after torch.nn so that models and checkpoints carry over
// from PyTorch.
//
// A Module maps a Var to a Var and lists its parameters under PyTorch's
// dotted names ("model.1.weight", "model.10.conv_block.5.bias"): containers
// prefix their children's names with the child's field name or index, so a
// state dict written here has the keys PyTorch would write for the same
// network.
//
// Images are NCHW: N batch, C channels, H height, W width.
package nn
