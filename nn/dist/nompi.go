//go:build !mpi

package dist

// openMPI reports that this build has no MPI (build with -tags mpi).
func openMPI() (Comm, bool, error) { return nil, false, nil }
