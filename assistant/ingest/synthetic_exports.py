"""Deterministic SYNTHETIC exports in each preset's shape, with the mapping file that ingests them.

Used by the tests (which recompute the expected figures from these raw files on their own) and by
`mka bench ingest` (the multi-table figure). Each shape carries the cases real exports have: guest orders,
cancelled orders without lines, several statuses, one row per unit, repeated review ids across orders,
Portuguese review text, files in several formats. The normalised shape can also carry the shop's own campaign
contacts (one row per contact, a yes/no response that depends on the customer's orders before the contact).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal, cast

Shape = Literal["normalised", "shopify", "woocommerce"]
SHAPES: tuple[Shape, ...] = ("normalised", "shopify", "woocommerce")

_PRODUCTS = [
    (f"SKU-{i:03d}", name, category)
    for i, (name, category) in enumerate(
        [
            ("Vestido de linho", "moda"), ("Camisa de algodão", "moda"), ("Tênis de corrida", "esporte"),
            ("Garrafa térmica", "casa"), ("Luminária de mesa", "casa"), ("Fone de ouvido", "eletronicos"),
            ("Carregador rápido", "eletronicos"), ("Bola de futebol", "esporte"), ("Caneca de cerâmica", "casa"),
            ("Mochila escolar", "moda"), ("Relógio digital", "eletronicos"), ("Tapete de yoga", "esporte"),
        ]
    )
]  # fmt: skip
_TRANSLATION = {"moda": "fashion", "esporte": "sports", "casa": "home", "eletronicos": "electronics"}
_COMMENTS = [
    (5, "Ótimo produto, chegou antes do prazo"), (4, "Muito bom, recomendo"), (3, "Razoável, esperava mais"),
    (2, "Demorou para chegar e veio com defeito"), (1, "Péssimo, não funciona"), (5, "Excelente qualidade"),
]  # fmt: skip
_COUNTRIES = ["Brazil", "Portugal", "Brazil", "Brazil", "Angola"]
_START = datetime(2024, 1, 1, 9, 0, 0)


def _orders(rng: random.Random, n_orders: int) -> Iterator[dict[str, object]]:
    """One shop's history, shape-neutral: each order with its customer, status, time and units."""
    customers = [f"{i:05d}" for i in range(max(n_orders // 3, 5))]
    for number in range(n_orders):
        status = rng.choices(["completed", "in_progress", "cancelled", "returned"], [80, 6, 10, 4])[0]
        lines = [] if status == "cancelled" and rng.random() < 0.5 else [
            (rng.choice(_PRODUCTS), rng.randint(1, 3), round(rng.uniform(5, 120), 2))
            for _ in range(rng.randint(1, 3))
        ]  # fmt: skip
        # one product at one price per order line (the exports repeat a line per unit where they do)
        merged: dict[str, tuple[tuple[str, str, str], int, float]] = {}
        for product, qty, price in lines:
            old = merged.get(product[0])
            merged[product[0]] = (product, qty + (old[1] if old else 0), old[2] if old else price)
        yield {
            "order_id": str(10_000 + number),
            "customer_id": "" if rng.random() < 0.05 else rng.choice(customers),
            "status": status,
            "at": _START + timedelta(minutes=rng.randint(0, 60 * 24 * 365)),
            "country": rng.choice(_COUNTRIES),
            "lines": list(merged.values()),
        }


def _write_csv(path: Path, header: list[str], rows: list[list[object]], delimiter: str = ",") -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def write_export(shape: Shape, directory: Path, n_orders: int = 300, seed: int = 7, n_contacts: int = 0) -> Path:
    """Write one synthetic export of `shape` into `directory`; returns its mapping file.

    `n_contacts` > 0 (normalised only) adds a campaign-contacts file and its table in the mapping."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    orders = list(_orders(rng, n_orders))
    if shape == "normalised":
        mapping = _normalised(rng, orders, directory)
        if n_contacts:
            _campaign_contacts(random.Random(seed + 1), orders, directory, n_contacts)
            with open(mapping, "a", encoding="utf-8") as f:
                f.write(CAMPAIGN_MAPPING)
        return mapping
    if shape == "shopify":
        return _shopify(orders, directory)
    return _woocommerce(orders, directory)


_NORMALISED_STATUS = {
    "completed": "delivered",
    "in_progress": "shipped",
    "cancelled": "canceled",
    "returned": "returned",
}


def _normalised(rng: random.Random, orders: list[dict[str, object]], d: Path) -> Path:
    import duckdb
    import pandas as pd

    _write_csv(
        d / "orders.csv",
        ["order_id", "customer_id", "status", "purchased_at"],
        [[o["order_id"], o["customer_id"], _NORMALISED_STATUS[str(o["status"])], o["at"]] for o in orders],
    )
    items: list[list[object]] = []
    for o in orders:
        line_no = 0
        for (sku, _, _), qty, price in o["lines"]:  # type: ignore[attr-defined]
            for _ in range(qty):  # one row per unit, as marketplace item exports do
                line_no += 1
                items.append([o["order_id"], line_no, sku, f"{price:.2f}"])
    _write_csv(d / "order_items.csv.gz", ["order_id", "order_item_id", "product_id", "price"], items)
    known = sorted({str(o["customer_id"]) for o in orders if o["customer_id"]})
    country = {str(o["customer_id"]): o["country"] for o in orders}
    customers = d / "customers.tsv"
    _write_csv(customers, ["customer_id", "country"], [[c, country[c]] for c in known], delimiter="\t")
    con = duckdb.connect()
    try:
        con.execute(
            "COPY (SELECT * FROM read_csv(?, delim='\t', header=true, all_varchar=true)) TO ? (FORMAT parquet)",
            [str(customers), str(d / "customers.parquet")],
        )
    finally:
        con.close()
    customers.unlink()
    with open(d / "products.jsonl", "w", encoding="utf-8") as f:
        for sku, name, category in _PRODUCTS:
            f.write(json.dumps({"product_id": sku, "name": name, "category": category}, ensure_ascii=False) + "\n")
    pd.DataFrame({"category": list(_TRANSLATION), "category_english": list(_TRANSLATION.values())}).to_excel(
        d / "categories.xlsx", index=False, sheet_name="translation"
    )
    reviews: list[list[object]] = []
    for o in orders:
        if o["lines"] and o["status"] == "completed" and rng.random() < 0.4:
            score, comment = rng.choice(_COMMENTS)
            # Marketplaces reuse one review id for several orders of one buyer: only id + order is unique.
            review_id = f"r{len(reviews) - 1:05d}" if reviews and rng.random() < 0.05 else f"r{len(reviews):05d}"
            created = o["at"] + timedelta(days=rng.randint(3, 20))  # type: ignore[operator]
            reviews.append([review_id, o["order_id"], score, "", comment, created])
    header = ["review_id", "order_id", "score", "title", "comment", "created_at"]
    _write_csv(d / "reviews.tsv", header, reviews, delimiter="\t")
    mapping = d / "mapping.yaml"
    mapping.write_text(
        "# SYNTHETIC normalised export (orders, items, customers, products, categories, reviews per order)\n"
        "preset: normalised\n"
        "sources:\n"
        "  orders: {file: orders.csv}\n"
        "  items: {file: order_items.csv.gz}\n"
        "  customers: {file: customers.parquet}\n"
        "  products: {file: products.jsonl}\n"
        "  categories: {file: categories.xlsx, sheet: translation}\n"
        "  reviews: {file: reviews.tsv}\n",
        encoding="utf-8",
    )
    return mapping


CAMPAIGN_MAPPING = """  contacts: {file: campaign_contacts.csv}
campaign_contacts:
  from: contacts
  columns:
    contact_id: contacts.contact
    customer_id: contacts.customer_id
    campaign: contacts.campaign
    contacted_at: contacts.sent_at
    channel: contacts.channel
    responded: contacts.converted
    age: contacts.age
    previous_contacts: contacts.previous_contacts
"""
CAMPAIGNS = ["spring-sale", "summer-news", "black-friday"]


def _campaign_contacts(rng: random.Random, orders: list[dict[str, object]], d: Path, n: int) -> None:
    """Contacts of known customers; buyers with more completed orders before the contact respond more often."""
    customers = sorted({str(o["customer_id"]) for o in orders if o["customer_id"]})
    rows: list[list[object]] = []
    for number in range(n):
        customer = rng.choice(customers)
        at = _START + timedelta(days=rng.randint(90, 364), hours=rng.randint(8, 18))
        mine = [cast(datetime, o["at"]) for o in orders if o["customer_id"] == customer and o["status"] == "completed"]
        before = len([t for t in mine if t < at])
        age, previous = rng.randint(18, 70), rng.randint(0, 4)
        logit = -2.2 + 0.9 * before + 0.4 * previous - 0.02 * (age - 40)
        said_yes = rng.random() < 1 / (1 + math.exp(-logit))
        answer = rng.choice([("yes", "no"), ("1", "0"), ("True", "false")])[0 if said_yes else 1]
        rows.append([f"C{number:05d}", customer, rng.choice(CAMPAIGNS), f"{at:%Y-%m-%d %H:%M}",
                     rng.choice(["email", "sms"]), answer, age, previous])  # fmt: skip
    header = ["contact", "customer_id", "campaign", "sent_at", "channel", "converted", "age", "previous_contacts"]
    _write_csv(d / "campaign_contacts.csv", header, rows)


_SHOPIFY_STATUS = {"completed": "paid", "in_progress": "pending", "cancelled": "voided", "returned": "refunded"}


def _shopify(orders: list[dict[str, object]], d: Path) -> Path:
    rows: list[list[object]] = []
    for o in orders:
        email = f"buyer{o['customer_id']}@example.com" if o["customer_id"] else ""
        at = f"{o['at']:%Y-%m-%d %H:%M:%S} -0300"
        lines = o["lines"] or [(("", "", ""), "", "")]  # an order with no line items: one row, no item
        for (sku, name, _), qty, price in lines:  # type: ignore[attr-defined]
            price_text = f"{price:.2f}" if price != "" else ""
            rows.append(
                [
                    f"#{o['order_id']}",
                    email,
                    _SHOPIFY_STATUS[str(o["status"])],
                    at,
                    qty,
                    name,
                    price_text,
                    sku,
                    o["country"],
                ]
            )
    header = ["Name", "Email", "Financial Status", "Created at", "Lineitem quantity", "Lineitem name",
              "Lineitem price", "Lineitem sku", "Billing Country"]  # fmt: skip
    _write_csv(d / "orders_export.csv", header, rows)
    mapping = d / "mapping.yaml"
    mapping.write_text(
        "# SYNTHETIC Shopify orders export\npreset: shopify\nsources:\n  orders: {file: orders_export.csv}\n",
        encoding="utf-8",
    )
    return mapping


_WOO_STATUS = {
    "completed": "wc-completed",
    "in_progress": "wc-processing",
    "cancelled": "wc-cancelled",
    "returned": "wc-refunded",
}


def _woocommerce(orders: list[dict[str, object]], d: Path) -> Path:
    rows: list[list[object]] = []
    for o in orders:
        lines = o["lines"] or [(("", "", ""), "", "")]
        for (sku, name, _), qty, price in lines:  # type: ignore[attr-defined]
            price_text = f"{price:.2f}".replace(".", ",") if price != "" else ""  # a Brazilian shop's decimals
            rows.append([o["order_id"], f"{o['at']:%d/%m/%Y %H:%M}", _WOO_STATUS[str(o["status"])],
                         o["customer_id"] or "0", o["country"], sku, name, qty, price_text])  # fmt: skip
    header = ["Order ID", "Order Date", "Order Status", "Customer User ID", "Billing Country", "SKU", "Item Name",
              "Quantity", "Item Cost"]  # fmt: skip
    _write_csv(d / "orders.csv", header, rows, delimiter=";")
    mapping = d / "mapping.yaml"
    mapping.write_text(
        "# SYNTHETIC WooCommerce orders export (day-first dates, decimal commas)\n"
        "preset: woocommerce\n"
        "sources:\n  orders: {file: orders.csv, delimiter: ';'}\n"
        "orders: {day_first: true, decimal: ','}\n",
        encoding="utf-8",
    )
    return mapping
