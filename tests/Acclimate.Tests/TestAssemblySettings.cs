using Xunit;

// Test classes run one after another, not side by side. libtorch keeps process-wide state (the
// intra-op thread pool, the global RNG) and the training runs under test set the thread count;
// changing the pool while another test is inside a parallel region can take the whole test host
// down from native code (seen once in a fresh-clone CI run: "Test host process crashed"). On two
// cores the suite loses little by running serially, and a crash-free run matters more.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
