//! The documentation of flame-core's and flame-db's types, fields and methods, read from their
//! sources by build.rs: `core_doc!(Contact)`, `core_doc!(Contact; email)`,
//! `core_doc!(Contact; full_name)`. A Python record shows the text of the core type of the same
//! name, so a record is documented once, in the core.

include!(concat!(env!("OUT_DIR"), "/core_docs.rs"));
