"""Tests of the action server package actions/: calculators, knowledge, actions."""
