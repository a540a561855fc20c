"""A deterministic SYNTHETIC shop, for machines without real data. Everything it makes says so.

It produces raw order lines and review rows and sends them through the same builders as the real
adapters, so the demo exercises the same rules (guest orders, cancellations, categories).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from assistant.ingest.orders import OrderTables, RawOrderLines, build_order_tables
from assistant.ingest.report import AdapterReport
from assistant.ingest.reviews import REVIEW_FIELDS, ReviewTables, build_review_tables

NAME = "synthetic-demo"
SOURCE = Path("<synthetic demo>")

_CATALOGUE: dict[str, list[str]] = {
    "Dresses": ["Linen Summer Dress", "Floral Midi Dress", "Wrap Maxi Dress", "Knit Sweater Dress",
                "Denim Shirt Dress", "Silk Slip Dress", "Tiered Sundress", "Velvet Party Dress"],
    "Tops": ["Cotton Crew Tee", "Striped Breton Top", "Linen Button Shirt", "Cashmere Crew Jumper",
             "Ribbed Tank Top", "Embroidered Blouse", "Oversized Hoodie", "Merino Cardigan"],
    "Bottoms": ["High Rise Jeans", "Wide Leg Trousers", "Pleated Midi Skirt", "Linen Shorts",
                "Cord Trousers", "Yoga Leggings"],
    "Home decor": ["White Hanging Heart Lantern", "Ceramic Bud Vase", "Woven Storage Basket",
                   "Rattan Wall Mirror", "Scented Soy Candle", "Linen Cushion Cover", "Wool Throw Blanket"],
    "Kitchen & dining": ["Enamel Coffee Mug", "Stoneware Dinner Plate", "Vintage Cake Stand",
                         "Glass Storage Jar", "Cotton Tea Towel Set", "Olive Wood Spoon"],
    "Accessories": ["Leather Tote Bag", "Silk Scarf", "Straw Sun Hat", "Canvas Backpack",
                    "Beaded Necklace", "Wool Beanie"],
}  # fmt: skip
_COUNTRIES = ["United Kingdom", "Germany", "France", "Netherlands", "Spain", "Ireland", "Belgium", "Norway"]
_COUNTRY_P = [0.55, 0.12, 0.1, 0.06, 0.05, 0.05, 0.04, 0.03]
_ASPECT_PHRASES = {
    "fit": ("fits true to size", "runs small and the fit is off"),
    "fabric": ("the fabric feels soft and substantial", "the material is thin and scratchy"),
    "quality": ("the quality is excellent", "the stitching came apart after one wash"),
    "colour": ("the colour is gorgeous, just like the photo", "the colour looked faded and nothing like the photo"),
    "price": ("great value for the price", "overpriced for what you get"),
    "comfort": ("so comfortable I wear it all day", "uncomfortable after an hour"),
    "length": ("the length is perfect", "the length was far too short"),
}  # fmt: skip


def _products(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for cat_index, (category, names) in enumerate(_CATALOGUE.items()):
        for i, name in enumerate(names):
            base = {"Dresses": 65, "Tops": 32, "Bottoms": 48, "Accessories": 28}.get(category, 14)
            rows.append(
                {
                    "product_id": f"D{cat_index + 1}{i + 1:02d}",
                    "product_name": name,
                    "category": category,
                    "price": round(float(base * rng.uniform(0.6, 1.5)), 2),
                    "quality": float(rng.uniform(0.35, 0.95)),
                }
            )
    return pd.DataFrame(rows)


def generate(seed: int = 7, n_customers: int = 800) -> tuple[OrderTables, AdapterReport, ReviewTables, AdapterReport]:
    rng = np.random.default_rng(seed)
    products = _products(rng)
    categories = list(_CATALOGUE)
    start = pd.Timestamp("2024-01-01")
    days = 365

    lines: list[dict[str, str]] = []
    order_no = 100000
    for c in range(n_customers):
        customer_id = f"DEMO{c + 1:05d}"
        country = str(rng.choice(_COUNTRIES, p=_COUNTRY_P))
        taste = rng.dirichlet(np.full(len(categories), 0.6))
        rate = float(rng.gamma(1.4, 2.5))  # expected orders a year
        first_day = int(rng.integers(0, days - 20))
        churn_day = first_day + int(rng.exponential(220))
        n_orders = max(1, int(rng.poisson(rate * (min(churn_day, days) - first_day) / days)))
        order_days = np.sort(rng.integers(first_day, min(churn_day, days - 1) + 1, size=n_orders))
        for day in order_days:
            order_no += 1
            cancelled = rng.random() < 0.03
            invoice = ("C" if cancelled else "") + str(order_no)
            guest = rng.random() < 0.04
            when = start + pd.Timedelta(days=int(day), minutes=int(rng.integers(8 * 60, 20 * 60)))
            for _ in range(int(rng.integers(1, 5))):
                cat = categories[int(rng.choice(len(categories), p=taste))]
                candidates = products[products["category"] == cat]
                item = candidates.iloc[int(rng.integers(0, len(candidates)))]
                qty = int(rng.integers(1, 4))
                lines.append(
                    {
                        "order_id": invoice,
                        "product_id": str(item["product_id"]),
                        "ordered_at": when.strftime("%Y-%m-%d %H:%M:%S"),
                        "quantity": str(-qty if cancelled else qty),
                        "unit_price": f"{item['price']:.2f}",
                        "customer_id": "" if guest else customer_id,
                        "product_name": str(item["product_name"]),
                        "country": country,
                        "category": cat,
                    }
                )
    frame = pd.DataFrame(lines)
    orders_report = AdapterReport(adapter=NAME, source=str(SOURCE), notes=["SYNTHETIC data, not a real shop"])
    orders = build_order_tables(
        RawOrderLines(
            frame=frame,
            cancelled=frame["order_id"].str.startswith("C"),
            source_columns={c: c for c in frame.columns},
            duplicates=pd.Series(False, index=frame.index),
        ),
        SOURCE,
        orders_report,
        source=NAME,
    )
    reviews, reviews_report = _reviews(rng, products, start, days)
    return orders, orders_report, reviews, reviews_report


def _reviews(
    rng: np.random.Generator, products: pd.DataFrame, start: pd.Timestamp, days: int
) -> tuple[ReviewTables, AdapterReport]:
    rows = []
    aspects = list(_ASPECT_PHRASES)
    for n in range(1500):
        item = products.iloc[int(rng.integers(0, len(products)))]
        quality = float(item["quality"])
        rating = int(np.clip(round(rng.normal(1 + 4 * quality, 0.9)), 1, 5))
        picked = rng.choice(aspects, size=int(rng.integers(1, 3)), replace=False)
        parts = []
        for aspect in picked:
            good, bad = _ASPECT_PHRASES[str(aspect)]
            positive = rng.random() < (rating - 1) / 4
            parts.append(good if positive else bad)
        opener = "Love this" if rating >= 4 else "Disappointed with this" if rating <= 2 else "Mixed feelings on this"
        body = f"{opener} {str(item['product_name']).lower()}: " + ", and ".join(parts) + "."
        rows.append(
            {
                "review_id": f"DR{n + 1:05d}",
                "product_id": str(item["product_id"]),
                "rating": str(rating),
                "title": {
                    5: "Love it",
                    4: "Really nice",
                    3: "It's okay",
                    2: "Not great",
                    1: "Very disappointed",
                }[rating],
                "body": body,
                "created_at": (start + pd.Timedelta(days=int(rng.integers(0, days)))).strftime("%Y-%m-%d"),
                "recommended": "1" if rating >= 4 else "0",
                "reviewer_age": str(int(rng.integers(18, 75))),
                "helpful_votes": str(int(rng.poisson(1.5))),
                "product_name": str(item["product_name"]),
                "category": str(item["category"]),
                "description": "",
            }
        )
    frame = pd.DataFrame(rows, columns=REVIEW_FIELDS)
    report = AdapterReport(adapter=NAME, source=str(SOURCE), notes=["SYNTHETIC reviews, not real customers"])
    tables = build_review_tables(frame, SOURCE, report, source_columns={c: c for c in REVIEW_FIELDS}, source=NAME)
    return tables, report
