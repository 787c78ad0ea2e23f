#pragma once
// The MPI world of a batch run. MPI is initialised only when a launcher started this process
// (mpirun, or srun with PMI/PMIx): a plain `attnscope-cli batch` never touches MPI.
#include "attnscope/app/batch.h"

namespace attnscope::app {

/// Whether this build has MPI support.
bool mpiBuilt();
/// Whether the environment says an MPI launcher started this process.
bool launchedByMpi();
/// This process's rank, the world size and the collectives runBatch needs; a one-rank world
/// without a launcher. MPI is initialised on the first call and finalised at exit. Throws
/// std::runtime_error under a launcher in a build without MPI.
BatchComm mpiWorld();

}  // namespace attnscope::app
