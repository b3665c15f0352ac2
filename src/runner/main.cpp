// concurrency-lab-runner: runs an experiment file headless and writes its result.
#include "runner_cli.h"

int main(int argc, char **argv)
{
    return clab::runner::runnerMain(argc, argv);
}
