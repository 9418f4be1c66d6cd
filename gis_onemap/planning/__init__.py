"""Shelter planning (issue 15).

Population, demand and capacity, capacitated coverage (LP), siting new shelters (pysal spopt on
PuLP/CBC) and evacuation assignment.
"""
