package dist

import (
	"fmt"
	"os"
)

// exitWith prints msg to standard error and exits with code.
func exitWith(code int, msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(code)
}

// launchedByMPI reports whether an MPI launcher (mpirun, mpiexec, srun)
// started this process: without one, MPI_Init would start a job of one,
// which is not what a plain run of the program means.
func launchedByMPI() bool {
	for _, v := range []string{"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}
