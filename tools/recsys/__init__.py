"""The recommender's parts: purchase data, single models, the hybrid, training, evaluation, reasons.

The tool itself is tools/recommender.py; the benchmark is bench/recommender.py.
"""
