// Package gan implements the model of "Unsupervised image-to-image
// translation by semantics consistency and self-attention" (Zhang, Xue, Fu,
// Optoelectronics Letters 18(3), 2022): a CycleGAN pair of ResNet
// generators whose encoder features are tied by a semantic-consistency L1
// loss, with a SAGAN self-attention block in the decoder, and 70x70
// PatchGAN discriminators trained with the least-squares GAN loss.
//
// The networks keep the official CycleGAN layer order, so their state dicts
// have the official key names ("model.1.weight", ...,
// "model.10.conv_block.1.weight", ...) and PyTorch checkpoints load as they
// are.
package gan
