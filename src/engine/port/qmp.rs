//! Telling a running QEMU that a NIC's cable went in or out, over its QMP monitor (the
//! socket `port plug --qmp` named): one JSON object per line each way, `qmp_capabilities`
//! first, asynchronous events skipped. Only netloom's own commands are sent: `set_link` of
//! a NIC id netloom chose (`netN`), so nothing from a document reaches QEMU.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde_json::Value;

use crate::port::qemu::{self, QmpPath};

/// How long QEMU may take to answer one command.
const ANSWER: Duration = Duration::from_secs(10);

/// One connection to a QMP monitor.
struct Monitor {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Monitor {
    /// Connects, reads the greeting and leaves capabilities negotiation.
    fn open(path: &QmpPath) -> Result<Monitor, String> {
        let stream =
            UnixStream::connect(path.as_str()).map_err(|e| format!("cannot connect: {e}"))?;
        stream
            .set_read_timeout(Some(ANSWER))
            .and_then(|()| stream.set_write_timeout(Some(ANSWER)))
            .map_err(|e| e.to_string())?;
        let reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
        let mut m = Monitor {
            reader,
            writer: stream,
        };
        let greeting = m.line()?;
        if greeting.get("QMP").is_none() {
            return Err("it does not greet as a QMP monitor".into());
        }
        m.command(r#"{"execute":"qmp_capabilities"}"#)?;
        Ok(m)
    }

    /// The next line that is not an event.
    fn line(&mut self) -> Result<Value, String> {
        loop {
            let mut line = String::new();
            let n = self
                .reader
                .read_line(&mut line)
                .map_err(|e| format!("reading its answer: {e}"))?;
            if n == 0 {
                return Err("it closed the connection".into());
            }
            let v: Value = serde_json::from_str(&line)
                .map_err(|e| format!("an answer that is not JSON: {e}"))?;
            if v.get("event").is_none() {
                return Ok(v);
            }
        }
    }

    /// Sends one command and reads its answer; QEMU's error is the failure.
    fn command(&mut self, command: &str) -> Result<Value, String> {
        writeln!(self.writer, "{command}").map_err(|e| format!("sending {command}: {e}"))?;
        let answer = self.line()?;
        if let Some(e) = answer.get("error") {
            let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            return Err(format!("{command}: {} ({})", text("desc"), text("class")));
        }
        Ok(answer)
    }
}

/// Sets the link of each NIC in `links` (QEMU id, up) over the monitor at `path`, in
/// order. The error says which monitor and what failed; links before it were set.
pub(crate) fn set_links(path: &QmpPath, links: &[(String, bool)]) -> Result<(), String> {
    if links.is_empty() {
        return Ok(());
    }
    let fail = |e: String| format!("QMP monitor {path}: {e}");
    let mut m = Monitor::open(path).map_err(fail)?;
    for (id, up) in links {
        m.command(&qemu::set_link(id, *up)).map_err(fail)?;
    }
    Ok(())
}
