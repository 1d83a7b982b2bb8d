"""Analyses of a solved plan: each takes the plan's data and a way to re-solve it, and
returns tables; the report lays them out."""
