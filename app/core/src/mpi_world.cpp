#include "attnscope/app/mpi_world.h"

#include <cstdlib>
#include <stdexcept>

#ifdef ATTNSCOPE_HAVE_MPI
#include <mpi.h>
#endif

namespace attnscope::app {

bool mpiBuilt() {
#ifdef ATTNSCOPE_HAVE_MPI
    return true;
#else
    return false;
#endif
}

bool launchedByMpi() {
    // OpenMPI's mpirun, PMIx (srun --mpi=pmix, OpenMPI 4+) and PMI-1/2 (MPICH, srun --mpi=pmi2).
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"})
        if (std::getenv(name)) return true;
    return false;
}

BatchComm mpiWorld() {
    BatchComm comm;
    if (!launchedByMpi()) return comm;
#ifdef ATTNSCOPE_HAVE_MPI
    static const bool initialised = [] {
        int already = 0;
        MPI_Initialized(&already);
        if (!already) MPI_Init(nullptr, nullptr);
        std::atexit([] {
            int finalized = 0;
            MPI_Finalized(&finalized);
            if (!finalized) MPI_Finalize();
        });
        return true;
    }();
    (void)initialised;
    MPI_Comm_rank(MPI_COMM_WORLD, &comm.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &comm.size);
    comm.barrier = [] { MPI_Barrier(MPI_COMM_WORLD); };
    comm.maxOverRanks = [](int value) {
        int result = value;
        MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        return result;
    };
    return comm;
#else
    throw std::runtime_error(
        "started by an MPI launcher, but this attnscope-cli was built without MPI "
        "(install libopenmpi-dev and rebuild)");
#endif
}

}  // namespace attnscope::app
