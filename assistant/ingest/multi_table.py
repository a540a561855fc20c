"""Multi-table mappings: several source files joined into the canonical tables, declared in one YAML.

    sources:                                  # name: a file (CSV, TSV, Parquet, XLSX, JSON lines; .gz or not)
      orders: {file: orders.csv}
      items: {file: order_items.csv.gz}
      customers: {file: customers.parquet}
      products: {file: products.xlsx}
      categories: {file: category_translation.jsonl}
      reviews: {file: reviews.tsv}
    orders:
      from: orders                            # the order header: one row per order
      join:                                   # left joins, in order; 'on' = this source's column: an earlier one's
        - {source: items, on: {order_id: orders.order_id}, one_to_many: true}
        - {source: customers, on: {customer_id: orders.customer_id}}
        - {source: products, on: {product_id: items.product_id}}
        - {source: categories, on: {category: products.category}}
      columns:                                # canonical field: source.column
        order_id: orders.order_id
        customer_id: customers.customer_unique_id
        ordered_at: orders.purchased_at
        status: orders.status
        product_id: items.product_id
        unit_price: items.price
        category: categories.category_english
      constants: {country: Brazil}            # a field with one value for every row
      rows_are_units: true                    # each item row is one unit sold
      statuses: {delivered: completed, shipped: in_progress, canceled: cancelled}
    reviews:
      from: reviews
      columns:
        review_id: [reviews.review_id, reviews.order_id]   # a composite id
        order_id: reviews.order_id            # reviews per order: spread over the order's products
        rating: reviews.score
        body: reviews.comment
    campaign_contacts:                        # optional: one row per contact of a customer in a campaign
      from: contacts
      columns:
        contact_id: contacts.id
        customer_id: contacts.customer_id     # optional: joins the customer's order history (RFM)
        campaign: contacts.campaign
        responded: contacts.converted         # yes/no, 1/0, true/false
        age: contacts.age                     # any other field is one of the shop's model features

Joins are left joins, so an order without lines is kept (it counts as an order and for cancellations). A join
not marked `one_to_many` must find at most one row per key, else the ingest stops (a duplicated lookup row
would silently multiply sales). Instead of `from`/`join`/`columns`, a table may give `sql:` — a DuckDB query over
the sources by name, returning the canonical field names — for what keys cannot say.
Every error names the source file, its column and line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.ingest import generic_csv
from assistant.ingest.campaigns import CAMPAIGN_FIELDS, CAMPAIGN_REQUIRED, build_campaign_contacts
from assistant.ingest.errors import IngestError
from assistant.ingest.locales import apply_locale
from assistant.ingest.orders import OrderTables, RawOrderLines, build_order_tables
from assistant.ingest.report import AdapterReport
from assistant.ingest.reviews import REVIEW_FIELDS, RatingScale, ReviewTables, build_review_tables
from assistant.ingest.sources import LINE, SourceFile, read_source

NAME = "multi-table"
ORDER_FIELDS = generic_csv.ORDER_REQUIRED + generic_csv.ORDER_OPTIONAL
REVIEW_INPUT_FIELDS = [*REVIEW_FIELDS, "order_id"]


class Join(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    on: dict[str, str] = Field(min_length=1)  # this source's column -> "earlier_source.column"
    one_to_many: bool = False

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        """YAML 1.1 reads an unquoted `on:` key as the boolean true; it is this field."""
        if isinstance(data, dict) and True in data and "on" not in data:
            data = {("on" if k is True else k): v for k, v in data.items()}
        return data


class TableSpec(BaseModel):
    """How one canonical table (orders or reviews) is made from the sources."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str | None = Field(default=None, alias="from")
    join: list[Join] = Field(default_factory=list)
    sql: str | None = None
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    constants: dict[str, str | int | float] = Field(default_factory=dict)  # e.g. {country: Brazil, quantity: 1}
    date_format: str | None = None
    locale: str | None = None  # e.g. pt_BR: its day/month order and decimal separator, unless given below
    day_first: bool | None = None
    decimal: Literal[".", ","] | None = None
    cancelled_values: list[str] = Field(default_factory=lambda: ["cancelled", "canceled"])
    statuses: dict[str, generic_csv.OrderStatus] | None = None
    rows_are_units: bool = False
    rating_scale: RatingScale = "1-5"
    # The export's customer key is personal (an e-mail): store a one-way pseudonym of it instead.
    pseudonymise_customer_id: bool = False
    guest_customer_ids: list[str] = Field(default_factory=list)  # e.g. WooCommerce's '0': a guest order
    # Order fields an export writes on an order's first row only (Shopify): an empty cell takes the order's value.
    fill_down: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_way(self) -> TableSpec:
        if (self.sql is None) == (self.from_ is None):
            raise ValueError("give either 'from' (with 'join' and 'columns') or 'sql'")
        if self.sql is not None and (self.join or self.columns):
            raise ValueError("'sql' returns the canonical fields itself: drop 'join' and 'columns'")
        return self


class MultiTableMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preset: str | None = None
    sources: dict[str, SourceFile] = Field(min_length=1)
    orders: TableSpec | None = None
    reviews: TableSpec | None = None
    campaign_contacts: TableSpec | None = None


def is_multi_table(path: Path) -> bool:
    """A mapping with `sources:` (or a `preset:`) is multi-table; one with only `orders`/`reviews` files is flat."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False  # the flat loader reports the problem
    return isinstance(data, dict) and ("sources" in data or "preset" in data)


def load_mapping(path: Path) -> MultiTableMapping:
    from assistant.ingest.presets import apply_preset

    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = apply_preset(path, data)
        mapping = MultiTableMapping.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise IngestError(path, f"field '{field}': {err['msg']}") from exc
    for source in mapping.sources.values():
        if source.postgres is None and not source.file.is_absolute():
            source.file = (path.parent / source.file).resolve()
    sections: list[tuple[str, TableSpec | None, list[str] | None]] = [
        ("orders", mapping.orders, ORDER_FIELDS),
        ("reviews", mapping.reviews, REVIEW_INPUT_FIELDS),
        ("campaign_contacts", mapping.campaign_contacts, None),  # None: any other field is a feature
    ]
    for section, spec, fields in sections:
        if spec is not None:
            apply_locale(spec, path, section)
        if spec is not None and spec.from_ is not None:
            _check_spec(path, mapping, section, spec, fields)
    return mapping


def _check_spec(
    path: Path, mapping: MultiTableMapping, section: str, spec: TableSpec, fields: list[str] | None
) -> None:
    in_scope = [spec.from_, *(j.source for j in spec.join)]
    for i, name in enumerate(in_scope):
        if name not in mapping.sources:
            where = f"{section}.from" if i == 0 else f"{section}.join[{i - 1}].source"
            raise IngestError(
                path, f"field '{where}' names {name!r}, not a declared source ({', '.join(mapping.sources)})"
            )
    for field in [*spec.columns, *spec.constants, *spec.fill_down]:
        if fields is not None and field not in fields:
            raise IngestError(
                path, f"field '{section}.columns.{field}' is not a known field (known: {', '.join(fields)})"
            )
    required = (
        ["order_id", "ordered_at", "product_id", "unit_price"] + ([] if spec.rows_are_units else ["quantity"])
        if section == "orders"
        else CAMPAIGN_REQUIRED
        if section == "campaign_contacts"
        else ["review_id", "rating"]
    )
    both = set(spec.columns) & set(spec.constants)
    if both:
        field = sorted(both)[0]
        raise IngestError(path, f"field '{section}.{field}' is both a column and a constant; keep one")
    given = set(spec.columns) | set(spec.constants)
    absent = [f for f in required if f not in given]
    if section == "reviews" and not ({"product_id", "order_id"} & given):
        absent.append("product_id")
    if absent:
        hint = " (or 'rows_are_units: true' when each row is one unit sold)" if absent[0] == "quantity" else ""
        raise IngestError(path, f"field '{section}.columns.{absent[0]}' is required{hint}")
    many = [j.source for j in spec.join if j.one_to_many]
    if len(many) > 1:
        raise IngestError(
            path,
            f"field '{section}.join': {many[0]!r} and {many[1]!r} are both one_to_many, so each would repeat the "
            "other's rows (sales counted several times); join one of them in an 'sql' view instead",
        )
    for i, join in enumerate(spec.join):
        earlier = in_scope[: i + 1]
        for ref in join.on.values():
            if ref.split(".", 1)[0] not in earlier:
                raise IngestError(
                    path, f"field '{section}.join[{i}].on' refers to {ref!r}; use 'source.column' of an earlier source"
                )
    for field, refs in spec.columns.items():
        for ref in [refs] if isinstance(refs, str) else refs:
            if "." not in ref or ref.split(".", 1)[0] not in in_scope:
                raise IngestError(
                    path,
                    f"field '{section}.columns.{field}' is {ref!r}; expected 'source.column' with a source of "
                    f"'from' or 'join' ({', '.join(str(s) for s in in_scope)})",
                )


def _refs(spec: TableSpec) -> dict[str, list[str]]:
    """Columns each source must have."""
    needed: dict[str, list[str]] = {}

    def add(ref: str) -> None:
        alias, column = ref.split(".", 1)
        needed.setdefault(alias, [])
        if column not in needed[alias]:
            needed[alias].append(column)

    assert spec.from_ is not None
    needed[spec.from_] = []
    for join in spec.join:
        needed.setdefault(join.source, [])
        for own, ref in join.on.items():
            add(f"{join.source}.{own}")
            add(ref)
    for refs in spec.columns.values():
        for ref in [refs] if isinstance(refs, str) else refs:
            add(ref)
    return needed


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ref_sql(ref: str) -> str:
    alias, column = ref.split(".", 1)
    return f"{_q(alias)}.{_q(column)}"


class _Joined:
    """The joined frame of one table, with each source's line per row for error messages."""

    def __init__(self, frame: pd.DataFrame, files: dict[str, Path], sql: bool = False) -> None:
        self.frame = frame
        self.files = files
        self.sql = sql

    def _source_line(self, alias: str, row: int) -> int | None:
        column = f"{LINE}_{alias}"
        if column not in self.frame or not 0 <= row - 2 < len(self.frame):
            return None
        value = self.frame[column].iloc[row - 2]
        return int(value) if str(value).isdigit() else None

    def relocate(self, exc: IngestError, mapping_path: Path) -> IngestError:
        """An error about row N of the joined frame, re-said as the source file's column and line."""
        alias, _, name = (exc.column or "").partition(".")
        if alias in self.files and name:
            # Lines quoted inside the message are joined-frame lines too: say them in the source's numbering.
            problem = re.sub(
                r"line (\d+)", lambda m: f"line {self._source_line(alias, int(m.group(1))) or '?'}", exc.problem
            )
            line = self._source_line(alias, exc.row) if exc.row is not None else None
            return IngestError(self.files[alias], problem, name, line)
        if self.sql:
            problem = re.sub(r"line (\d+)", lambda m: f"row {int(m.group(1)) - 1} of the query", exc.problem)
            where = f"; row {exc.row - 1} of the query" if exc.row is not None else ""
            return IngestError(mapping_path, problem + where, f"sql {exc.column}" if exc.column else None)
        return exc


def _load_frames(mapping: MultiTableMapping, needed: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    return {alias: read_source(mapping.sources[alias], columns) for alias, columns in needed.items()}


def _check_unique(frame: pd.DataFrame, keys: list[str], spec: SourceFile, alias: str) -> None:
    usable = frame[(frame[keys] != "").all(axis=1)]
    dup = usable.duplicated(subset=keys, keep="first")
    if dup.any():
        at = usable.index[dup.to_numpy()][0]
        raise IngestError(
            spec.file,
            f"{int(dup.sum())} rows repeat a join key (first: {', '.join(repr(frame.loc[at, k]) for k in keys)}); "
            f"a lookup joined without 'one_to_many: true' must have one row per key, else sales would be counted twice",
            keys[0],
            int(frame.loc[at, LINE]),
        )


def joined_frame(
    mapping_path: Path,
    mapping: MultiTableMapping,
    spec: TableSpec,
    fields: list[str],
    frames: dict[str, pd.DataFrame],
    keep_extra: bool = False,
) -> _Joined:
    """The sources joined as the spec says, one row per output row, canonical fields as strings ('' = missing).

    With `keep_extra`, an sql query's other columns are kept too (campaign features)."""
    con = duckdb.connect()
    try:
        for alias, frame in frames.items():
            con.register(alias, frame)
        files = {alias: mapping.sources[alias].file for alias in frames}
        if spec.sql is not None:
            try:
                result = con.execute(spec.sql).df()
            except duckdb.Error as exc:
                raise IngestError(mapping_path, f"the table's sql failed: {str(exc).splitlines()[0]}") from exc
            missing = [f for f in fields if f in ("order_id", "review_id", "contact_id") and f not in result.columns]
            if missing:
                raise IngestError(mapping_path, f"the table's sql returns no {missing[0]!r} column")
            result = result.astype("object").where(result.notna(), "").astype(str)
            if keep_extra:
                fields = fields + [c for c in result.columns if c not in fields]
            out = pd.DataFrame({f: result[f] if f in result else str(spec.constants.get(f, "")) for f in fields})
            return _Joined(out, files, sql=True)
        assert spec.from_ is not None
        selects = []
        for field in fields:
            refs = spec.columns.get(field)
            if refs is None:
                value = str(spec.constants.get(field, ""))
                selects.append("'" + value.replace("'", "''") + f"' AS {_q(field)}")
            elif isinstance(refs, str):
                selects.append(f"coalesce({_ref_sql(refs)}, '') AS {_q(field)}")
            else:  # a composite id: the parts joined with ':'
                parts = " || ':' || ".join(f"coalesce({_ref_sql(r)}, '')" for r in refs)
                selects.append(f"{parts} AS {_q(field)}")
        scope = [spec.from_, *(j.source for j in spec.join)]
        selects += [f"{_q(a)}.{_q(LINE)} AS {_q(LINE + '_' + a)}" for a in scope]
        sql = f"SELECT {', '.join(selects)} FROM {_q(spec.from_)}"
        for join in spec.join:
            if not join.one_to_many:
                _check_unique(frames[join.source], list(join.on), mapping.sources[join.source], join.source)
            cond = " AND ".join(
                f"{_q(join.source)}.{_q(own)} = {_ref_sql(ref)} AND {_ref_sql(ref)} <> ''"
                for own, ref in join.on.items()
            )
            sql += f" LEFT JOIN {_q(join.source)} ON {cond}"
        order = ", ".join(f"{_q(LINE + '_' + a)} NULLS LAST" for a in scope)
        frame = con.execute(f"SELECT * FROM ({sql}) ORDER BY {order}").df()
        return _Joined(frame.reset_index(drop=True), files)
    finally:
        con.close()


def _labels(spec: TableSpec) -> dict[str, str]:
    """Canonical field -> 'source.column' (its first part for a composite), for error messages.

    With `sql`, the query's own column names: errors then name the mapping file and the query's row."""
    if spec.sql is not None:
        return {f: f for f in [*ORDER_FIELDS, *REVIEW_INPUT_FIELDS]}
    return {f: (r if isinstance(r, str) else r[0]) for f, r in spec.columns.items()}


def load_orders(
    mapping_path: Path, mapping: MultiTableMapping, frames: dict[str, pd.DataFrame]
) -> tuple[OrderTables, AdapterReport]:
    spec = mapping.orders
    assert spec is not None
    joined = joined_frame(mapping_path, mapping, spec, ORDER_FIELDS, frames)
    frame = joined.frame[ORDER_FIELDS].copy()
    head = mapping.sources[spec.from_].file if spec.from_ else mapping_path
    report = AdapterReport(adapter=NAME, source=", ".join(str(mapping.sources[a].file) for a in frames))
    flat = generic_csv.FileMapping(
        file=head,
        columns={f: c for f, c in _labels(spec).items()},
        cancelled_values=spec.cancelled_values,
        statuses=spec.statuses,
        rows_are_units=spec.rows_are_units,
    )
    for field in spec.fill_down:
        given = frame[field].mask(frame[field].str.strip() == "")
        per_order = given.groupby(frame["order_id"]).transform("first")
        frame[field] = frame[field].where(given.notna(), per_order.fillna(""))  # only empty cells: conflicts stay
    frame.loc[frame["customer_id"].str.strip().isin(spec.guest_customer_ids), "customer_id"] = ""
    if spec.pseudonymise_customer_id:
        frame["customer_id"] = pseudonyms(frame["customer_id"])
    try:
        status = generic_csv.order_statuses(frame, flat, mapping_path)
        has_line = frame["product_id"] != ""
        if spec.rows_are_units:
            frame["quantity"] = frame["quantity"].where(~has_line | (frame["quantity"] != ""), "1")
        generic_csv.sign_cancelled_quantities(frame, status)
        lines = RawOrderLines(
            frame=frame,
            cancelled=status == "cancelled",
            status=status,
            source_columns=_labels(spec) | {f: f"(constant {f})" for f in spec.constants},
            # Identical lines are units when each row is one unit; otherwise exact duplicates, as in a flat file.
            duplicates=pd.Series(False, index=frame.index)
            if spec.rows_are_units
            else frame.duplicated(keep="first") & has_line,
            date_format=spec.date_format,
            day_first=spec.day_first,
            decimal=spec.decimal,
            keep_orders_without_lines=True,
        )
        tables = build_order_tables(lines, head, report, source=NAME)
    except IngestError as exc:
        raise joined.relocate(exc, mapping_path) from exc
    if spec.rows_are_units:
        tables.order_lines = generic_csv.units_as_lines(tables.order_lines)
    return tables, report


def pseudonyms(ids: pd.Series) -> pd.Series:
    """'Ana@Example.com ' -> 'c-<16 hex>': the same buyer gets the same id; the address is not kept."""
    import hashlib

    keys = ids.str.strip().str.lower()
    table = {k: "c-" + hashlib.sha256(k.encode()).hexdigest()[:16] for k in keys.unique() if k}
    return keys.map(table).fillna("")


def load_reviews(
    mapping_path: Path, mapping: MultiTableMapping, frames: dict[str, pd.DataFrame], orders: OrderTables | None
) -> tuple[ReviewTables, AdapterReport]:
    spec = mapping.reviews
    assert spec is not None
    joined = joined_frame(mapping_path, mapping, spec, REVIEW_INPUT_FIELDS, frames)
    frame = joined.frame
    head = mapping.sources[spec.from_].file if spec.from_ else mapping_path
    report = AdapterReport(adapter=NAME, source=", ".join(str(mapping.sources[a].file) for a in frames))
    per_order = (frame["order_id"] != "") & (frame["product_id"] == "")
    if per_order.any():
        if orders is None:
            raise IngestError(mapping_path, "reviews are keyed by order, but the mapping has no orders table")
        # A review of an order is a review of each product in it (its id made unique per product).
        products = orders.order_lines[["order_id", "product_id"]].drop_duplicates()
        spread = frame[per_order].drop(columns="product_id").reset_index().merge(products, on="order_id", how="left")
        orphan = spread["product_id"].isna()
        report.drop("review of an order with no product lines", int(orphan.sum()))
        spread = spread[~orphan]
        spread["review_id"] = spread["review_id"] + ":" + spread["product_id"]
        frame = pd.concat([frame[~per_order].reset_index(), spread], ignore_index=True).sort_values(
            "index", kind="stable"
        )
        lines_index = frame.pop("index")
        frame = frame.reset_index(drop=True)
        joined = _Joined(joined.frame.iloc[lines_index.to_numpy()].reset_index(drop=True), joined.files, joined.sql)
    try:
        tables = build_review_tables(
            frame[REVIEW_FIELDS].copy(),
            head,
            report,
            source_columns=_labels(spec),
            source=NAME,
            date_format=spec.date_format,
            day_first=spec.day_first,
            decimal=spec.decimal,
            rating_scale=spec.rating_scale,
        )
    except IngestError as exc:
        raise joined.relocate(exc, mapping_path) from exc
    report.rows_read += int(orphan.sum()) if per_order.any() else 0
    return tables, report


def load_campaign_contacts(
    mapping_path: Path, mapping: MultiTableMapping, frames: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    """The canonical campaign_contacts rows; errors name the source file, its column and line."""
    spec = mapping.campaign_contacts
    assert spec is not None
    features = [f for f in spec.columns if f not in CAMPAIGN_FIELDS]
    joined = joined_frame(mapping_path, mapping, spec, CAMPAIGN_FIELDS + features, frames, keep_extra=True)
    if spec.sql is not None:
        features = [c for c in joined.frame.columns if c not in CAMPAIGN_FIELDS]
        labels = {f: f for f in CAMPAIGN_FIELDS}
    else:
        labels = _labels(spec)
    head = mapping.sources[spec.from_].file if spec.from_ else mapping_path
    try:
        return build_campaign_contacts(
            joined.frame, features, head, labels, date_format=spec.date_format, day_first=spec.day_first
        )
    except IngestError as exc:
        raise joined.relocate(exc, mapping_path) from exc


def load(mapping_path: Path) -> tuple[list[OrderTables], list[ReviewTables], list[AdapterReport]]:
    """Orders and reviews only (an append never replaces the campaign table)."""
    orders, reviews, reports, _ = load_with_campaigns(mapping_path)
    return orders, reviews, reports


def load_with_campaigns(
    mapping_path: Path,
) -> tuple[list[OrderTables], list[ReviewTables], list[AdapterReport], pd.DataFrame | None]:
    mapping = load_mapping(mapping_path)
    needed: dict[str, list[str]] = {}
    for spec in (mapping.orders, mapping.reviews, mapping.campaign_contacts):
        if spec is None:
            continue
        refs = _refs(spec) if spec.from_ is not None else {name: [] for name in mapping.sources}
        for alias, columns in refs.items():
            needed.setdefault(alias, [])
            needed[alias] += [c for c in columns if c not in needed[alias]]
    frames = _load_frames(mapping, needed)
    orders: list[OrderTables] = []
    reviews: list[ReviewTables] = []
    reports: list[AdapterReport] = []
    order_tables = None
    if mapping.orders is not None:
        scope = _scope(mapping.orders, frames)
        order_tables, report = load_orders(mapping_path, mapping, scope)
        orders.append(order_tables)
        reports.append(report)
    if mapping.reviews is not None:
        review_tables, report = load_reviews(mapping_path, mapping, _scope(mapping.reviews, frames), order_tables)
        reviews.append(review_tables)
        reports.append(report)
    if not reports:
        raise IngestError(mapping_path, "the mapping has neither an 'orders' nor a 'reviews' table")
    campaigns = None
    if mapping.campaign_contacts is not None:
        campaigns = load_campaign_contacts(mapping_path, mapping, _scope(mapping.campaign_contacts, frames))
    return orders, reviews, reports, campaigns


def _scope(spec: TableSpec, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    if spec.from_ is None:
        return frames
    names = [spec.from_, *(j.source for j in spec.join)]
    return {n: frames[n] for n in names}
