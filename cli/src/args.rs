//! What every subcommand shares: its result type and how it reads the core's enums.

/// Parses a value by the core's serde name (`duress`, `hostile_surveillance`,
/// `accepted`), so the tool accepts exactly what the protocol carries and needs no copy
/// of the core's enums.
pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|e| e.to_string())
}

/// What a subcommand returns: any error, shown to the user as one line.
pub(crate) type CliResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How `cordon serve` and `cordon admin` name the server database.
#[derive(Debug, clap::Args)]
pub(crate) struct DatabaseArgs {
    /// The server database (created if missing); attachment bytes go in `<db>.blobs/`.
    #[arg(
        long,
        required_unless_present = "database",
        conflicts_with = "database"
    )]
    db: Option<std::path::PathBuf>,
    /// The server database as a SQLite file's path, or a PostgreSQL URL
    /// (`postgres://user@host:port/name`, which several `cordon serve` processes may
    /// share; give `--blobs` with it).
    #[arg(long, value_name = "PATH|URL")]
    database: Option<String>,
    /// With a PostgreSQL `--database`: the directory for attachment bytes, one that every
    /// process serving the database reaches.
    #[arg(long, value_name = "DIR", requires = "database")]
    blobs: Option<std::path::PathBuf>,
}

impl DatabaseArgs {
    /// The server on the database named, and the name for a log line (a URL's password
    /// hidden).
    pub(crate) fn open(&self) -> CliResult<(cordon_server::Server, String)> {
        use cordon_server::Server;
        Ok(match (&self.db, &self.database) {
            (Some(path), _) => (Server::open(path)?, path.display().to_string()),
            (None, Some(database)) => (
                Server::open_database(database, self.blobs.as_deref())?,
                Server::describe_database(database),
            ),
            (None, None) => return Err("give --db PATH or --database PATH|URL".into()),
        })
    }
}

/// Left-aligned columns separated by two spaces; "(none)" for an empty list.
pub(crate) fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    if rows.is_empty() {
        return "(none)\n".to_owned();
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = cells
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.truncate(out.trim_end().len());
        out.push('\n');
        out
    };
    let mut out = line(&mut headers.iter().copied());
    for row in &rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}
