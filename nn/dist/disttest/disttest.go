// Package disttest runs a test binary as one rank of a group of processes:
//
//	var world dist.Comm
//
//	func TestMain(m *testing.M) { disttest.Main(m, &world) }
//
// Under mpirun (a build with -tags mpi) every rank runs every test; a
// failing rank ends the whole job, since the others may be waiting for it
// in a collective.
package disttest

import (
	"fmt"
	"os"
	"testing"

	"github.com/semgan/semgan/nn/dist"
)

// Main opens the group into *world, runs the tests and exits with their
// status, leaving the group, or ending the job when a test failed.
func Main(m *testing.M, world *dist.Comm) {
	var err error
	if *world, err = dist.Open(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if code != 0 {
		// The other ranks may be waiting in a collective: end the job.
		(*world).Abort(code, "tests failed")
	}
	if err := (*world).Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}
