//! The error convention every binary follows: a runtime failure is one line on stderr
//! naming what failed, and exit status 1; never a panic or a backtrace.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

/// A failure with a sentence saying what was being attempted.
#[derive(Debug)]
pub struct Error {
    context: Option<String>,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl Error {
    /// An error whose cause speaks for itself, with no sentence added.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self {
            context: None,
            source: source.into(),
        }
    }

    /// An error that carries its own message, with no underlying cause.
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            context: None,
            source: message.into().into(),
        }
    }

    /// The `io::ErrorKind` behind this error, if an I/O error caused it.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        self.source.downcast_ref::<io::Error>().map(io::Error::kind)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.context {
            Some(context) => write!(f, "{context}: {}", self.source),
            None => write!(f, "{}", self.source),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

/// An I/O error with no sentence added: writing the transcript (see [`crate::log::stdout`],
/// whose errors name standard output) or a step whose error speaks for itself.
impl From<io::Error> for Error {
    fn from(source: io::Error) -> Self {
        Self {
            context: None,
            source: Box::new(source),
        }
    }
}

/// Adds "what was being attempted" to a failure, as `anyhow::Context` does.
pub trait Context<T> {
    fn context<C: Into<String>>(self, what: impl FnOnce() -> C) -> Result<T, Error>;
}

impl<T, E> Context<T> for Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn context<C: Into<String>>(self, what: impl FnOnce() -> C) -> Result<T, Error> {
        self.map_err(|source| Error {
            context: Some(what().into()),
            source: Box::new(source),
        })
    }
}

/// Ends a binary: `Ok` is exit status 0; an error is one line `PROGRAM: what failed` on
/// stderr and exit status 1.
/// An error and its causes in one line (`error sending request: connection closed`), a
/// cause left out where the text so far already quotes it; `stop` may say a cause in its
/// own words instead, and end the line there (a TLS error as a sentence).
pub fn one_line_with(
    error: &dyn std::error::Error,
    stop: impl Fn(&(dyn std::error::Error + 'static)) -> Option<String>,
) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(said) = stop(cause) {
            text += &format!(": {said}");
            break;
        }
        let said = cause.to_string();
        if !text.contains(&said) {
            text += &format!(": {said}");
        }
        source = cause.source();
    }
    text
}

/// [`one_line_with`] for any error, its line breaks made spaces.
pub fn one_line(error: &dyn std::error::Error) -> String {
    one_line_with(error, |_| None).replace('\n', " ")
}

pub fn exit_status(program: &str, result: Result<(), Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Nothing more can be done if stderr itself is gone.
            let _ = writeln!(io::stderr(), "{program}: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_prefixes_the_cause() {
        let result: Result<(), io::Error> =
            Err(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"));
        let error = result
            .context(|| "cannot connect to localhost port 1060")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot connect to localhost port 1060: refused"
        );
        assert_eq!(error.io_kind(), Some(io::ErrorKind::ConnectionRefused));
    }
}
