"""Ways to solve the stochastic plan besides the extensive form (:mod:`planner.engine`)."""
