//! What every subcommand shares: its result type and how it reads the core's enums.

/// Parses a value by the core's serde name (`duress`, `hostile_surveillance`,
/// `accepted`), so the tool accepts exactly what the protocol carries and needs no copy
/// of the core's enums.
pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|e| e.to_string())
}

/// What a subcommand returns: any error, shown to the user as one line.
pub(crate) type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;
