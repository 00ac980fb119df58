"""Speed benchmarks of clustersim: `python -m benchmarks [--quick]`.

What is measured, and why (issue 5):

* scaling: time per model step against the number of organisations, fitted as a
  power law; a spatial model whose region grows with its population should cost
  time linear in it (exponent near 1);
* reference: ClusterModel per step against Mesa's own BoltzmannWealth example at
  the same number of agents, alternating, so both see the same machine load;
* default run: wall time and peak memory of the run `clustersim run` makes;
* sweeps: runs per second and parallel efficiency over 1, 2, ... workers, and the
  coordinator's peak memory, which must not grow with the number of runs.

Timings are reported, never asserted: they depend on the machine.
"""
