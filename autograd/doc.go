// Package autograd is a small define-by-run reverse-mode differentiation
// engine over tensor.Tensor.
//
// Every operation computes its value eagerly and, when one of its inputs
// needs a gradient, records a node: its inputs and a backward closure that
// accumulates (+=) into their gradients. Backward sorts the graph
// topologically without recursion and runs the closures in reverse order,
// then releases the graph: intermediate gradients and the scratch that nodes
// kept for backward are freed, and the closures dropped.
//
// NoGrad runs inference without recording anything; Detach cuts a value out
// of the graph (the fake images shown to a discriminator). GradCheck
// compares analytic gradients with central differences; every operation's
// tests use it.
package autograd
