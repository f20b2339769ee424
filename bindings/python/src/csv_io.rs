//! The sources and destinations of CSV imports and exports: a CSV given as `bytes` or a path
//! to read (`import_csv`), a path or a writable file object to write (`export_csv`), and the
//! `std::io::Write` over a Python file object that Rust streams an export into, taking the
//! GIL for each write while the export runs without it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// What a CSV import reads.
pub(crate) enum CsvSource<'a> {
    /// The CSV itself.
    Bytes(&'a [u8]),
    /// A file Rust opens and streams, never reading it whole.
    Path(PathBuf),
}

/// `source` as a CSV import reads it: `bytes` are the CSV text; anything else must be a path
/// (`str` or `os.PathLike`), else `TypeError`.
pub(crate) fn source<'a>(source: &'a Bound<'_, PyAny>) -> PyResult<CsvSource<'a>> {
    if let Ok(bytes) = source.cast::<PyBytes>() {
        return Ok(CsvSource::Bytes(bytes.as_bytes()));
    }
    let path: PathBuf = source.extract().map_err(|_| {
        let type_name = source.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!(
            "argument 'source': expected a path (str or os.PathLike) or the CSV as bytes, \
             not {type_name}"
        ))
    })?;
    Ok(CsvSource::Path(path))
}

/// Where a CSV export writes.
pub(crate) enum CsvDest {
    /// A file Rust creates (or truncates) and writes.
    Path(PathBuf),
    /// A Python file object.
    File(PyWriter),
}

/// `dest` as a CSV export writes it: an object with a `write` method is a file object
/// (written `str` when it is an `io.TextIOBase`, `bytes` otherwise); anything else must be a
/// path (`str` or `os.PathLike`), else `TypeError`.
pub(crate) fn dest(dest: &Bound<'_, PyAny>) -> PyResult<CsvDest> {
    let py = dest.py();
    if dest.hasattr("write")? {
        let text_io = py.import("io")?.getattr("TextIOBase")?;
        return Ok(CsvDest::File(PyWriter {
            file: dest.clone().unbind(),
            text: dest.is_instance(&text_io)?,
            pending: Vec::new(),
            raised: Arc::new(Mutex::new(None)),
        }));
    }
    let path: PathBuf = dest.extract().map_err(|_| {
        let type_name = dest.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!(
            "argument 'dest': expected a path (str or os.PathLike) or a writable file object, \
             not {type_name}"
        ))
    })?;
    Ok(CsvDest::Path(path))
}

/// A Python file object as a `std::io::Write`: each write takes the GIL and calls the
/// object's `write` (with `bytes`, or with `str` for a text file, holding back the bytes of a
/// character split between two writes), each flush its `flush`. An exception the object
/// raises is kept, to be raised instead of the `StorageError` the export answers.
pub(crate) struct PyWriter {
    file: Py<PyAny>,
    text: bool,
    pending: Vec<u8>,
    raised: Arc<Mutex<Option<PyErr>>>,
}

impl PyWriter {
    /// Where the exception the file object raises is kept, for [`raised_or`].
    pub(crate) fn failure(&self) -> Arc<Mutex<Option<PyErr>>> {
        Arc::clone(&self.raised)
    }

    fn keep(&self, e: PyErr) -> std::io::Error {
        *self.raised.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
        std::io::Error::other("the Python file object raised")
    }
}

impl Write for PyWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = Python::attach(|py| -> PyResult<()> {
            if !self.text {
                self.file.call_method1(py, "write", (PyBytes::new(py, buf),))?;
                return Ok(());
            }
            self.pending.extend_from_slice(buf);
            let (text, valid) = match std::str::from_utf8(&self.pending) {
                Ok(text) => (text, self.pending.len()),
                Err(e) => {
                    let valid = e.valid_up_to();
                    (std::str::from_utf8(&self.pending[..valid]).unwrap_or_default(), valid)
                }
            };
            if valid > 0 {
                self.file.call_method1(py, "write", (text,))?;
            }
            self.pending.drain(..valid);
            Ok(())
        });
        written.map_err(|e| self.keep(e))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = Python::attach(|py| -> PyResult<()> {
            let file = self.file.bind(py);
            if file.hasattr("flush")? {
                file.call_method0("flush")?;
            }
            Ok(())
        });
        flushed.map_err(|e| self.keep(e))
    }
}

/// The result of an export into a file object: the exception the object raised, if it did
/// (`failure`), else `result`.
pub(crate) fn raised_or<T>(
    result: PyResult<T>,
    failure: &Arc<Mutex<Option<PyErr>>>,
) -> PyResult<T> {
    match failure.lock().unwrap_or_else(PoisonError::into_inner).take() {
        Some(e) => Err(e),
        None => result,
    }
}
