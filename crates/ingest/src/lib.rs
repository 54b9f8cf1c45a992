//! Styrhub key-figure sources.

pub mod file;
