"""Proactive reports: the digest (`mka digest`) and the watcher's alerts (`mka watch`), computed from the warehouse.

Numbers come from SQL over the warehouse through tools.sales' one definition of orders, revenue and
cancellations; the words around them are fixed templates, so nothing in a report is written by a model.
"""
