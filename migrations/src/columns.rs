//! Small helpers that keep the migrations readable: one line per column.

use sea_orm_migration::prelude::*;

/// A table name or column name.
pub fn n(s: &'static str) -> Alias {
    Alias::new(s)
}

/// `id` as an auto-incrementing 64-bit primary key.
pub fn id() -> ColumnDef {
    ColumnDef::new(n("id"))
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// A non-null text column.
pub fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).string().not_null().to_owned()
}

/// A nullable text column.
pub fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).string().null().to_owned()
}

/// A non-null long text column.
pub fn long_text(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).text().not_null().to_owned()
}

/// A nullable long text column.
pub fn long_text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).text().null().to_owned()
}

/// A non-null 64-bit integer (foreign keys).
pub fn big(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).big_integer().not_null().to_owned()
}

/// A nullable 64-bit integer.
pub fn big_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).big_integer().null().to_owned()
}

/// A non-null 32-bit integer.
pub fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).integer().not_null().to_owned()
}

/// A nullable 32-bit integer.
pub fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).integer().null().to_owned()
}

/// A non-null double.
pub fn double(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).double().not_null().to_owned()
}

/// A nullable double.
pub fn double_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).double().null().to_owned()
}

/// A non-null boolean.
pub fn boolean(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).boolean().not_null().to_owned()
}

/// A non-null date.
pub fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).date().not_null().to_owned()
}

/// A nullable date.
pub fn date_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).date().null().to_owned()
}

/// A non-null timestamp with time zone.
pub fn timestamp(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).timestamp_with_time_zone().not_null().to_owned()
}

/// A nullable timestamp with time zone.
pub fn timestamp_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(n(name)).timestamp_with_time_zone().null().to_owned()
}

/// A foreign key from `table.column` to `target.id`.
pub fn fk(table: &'static str, column: &'static str, target: &'static str, on_delete: ForeignKeyAction) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(n(table), n(column))
        .to(n(target), n("id"))
        .on_delete(on_delete)
        .to_owned()
}

/// Creates `table` with `columns`, its foreign keys declared inline (SQLite cannot add them
/// later).
pub fn table(name: &'static str, columns: Vec<ColumnDef>, fks: Vec<ForeignKeyCreateStatement>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(n(name)).if_not_exists();
    for mut c in columns {
        t.col(&mut c);
    }
    for mut f in fks {
        t.foreign_key(&mut f);
    }
    t.to_owned()
}

/// A (unique) index on `table(columns)`.
pub fn index(table: &'static str, columns: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!("{}_{}_{}", if unique { "ux" } else { "ix" }, table, columns.join("_")))
        .table(n(table))
        .if_not_exists();
    for c in columns {
        i.col(n(c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}
