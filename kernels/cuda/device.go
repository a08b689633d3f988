package cuda

import (
	"fmt"
	"os"
	"strconv"
)

// deviceOrdinal chooses which of count GPUs this process uses:
// SEMGAN_CUDA_DEVICE when set; otherwise, in a job started by an MPI
// launcher (or Slurm), the process's rank on its node modulo count, so that
// the ranks of one machine spread over its GPUs; otherwise 0.
func deviceOrdinal(count int) (int, error) {
	if s := os.Getenv("SEMGAN_CUDA_DEVICE"); s != "" {
		d, err := strconv.Atoi(s)
		if err != nil || d < 0 || d >= count {
			return 0, fmt.Errorf("cuda: SEMGAN_CUDA_DEVICE=%q: want a device number from 0 to %d", s, count-1)
		}
		return d, nil
	}
	for _, v := range []string{"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"} {
		if s := os.Getenv(v); s != "" {
			r, err := strconv.Atoi(s)
			if err != nil || r < 0 {
				return 0, fmt.Errorf("cuda: %s=%q is not a local rank", v, s)
			}
			return r % count, nil
		}
	}
	return 0, nil
}
