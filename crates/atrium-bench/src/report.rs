//! A table of figures, each row beside its baseline, printed and saved as JSON.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    pub(crate) bench: String,
    pub(crate) case: String,
    pub(crate) metric: String,
    pub(crate) unit: String,
    pub(crate) ours: f64,
    pub(crate) baseline: Option<f64>,
    pub(crate) baseline_name: Option<String>,
    pub(crate) target: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct Report {
    pub(crate) rows: Vec<Row>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        bench: &str,
        case: &str,
        metric: &str,
        unit: &str,
        ours: f64,
        baseline: Option<(&str, f64)>,
        target: Option<&str>,
    ) {
        self.rows.push(Row {
            bench: bench.into(),
            case: case.into(),
            metric: metric.into(),
            unit: unit.into(),
            ours,
            baseline: baseline.map(|b| b.1),
            baseline_name: baseline.map(|b| b.0.into()),
            target: target.map(Into::into),
        });
    }

    pub(crate) fn print(&self) {
        println!(
            "\n{:<14} {:<22} {:<18} {:>12} {:>12} {:>8}  {:<26} target",
            "bench", "case", "metric", "ours", "baseline", "ratio", "baseline is"
        );
        for r in &self.rows {
            let baseline = r.baseline.map_or("-".into(), |b| format!("{b:.1}"));
            let ratio = match r.baseline {
                Some(b) if r.ours > 0.0 => format!("{:.1}x", b / r.ours),
                _ => "-".into(),
            };
            println!(
                "{:<14} {:<22} {:<18} {:>12} {:>12} {:>8}  {:<26} {}",
                r.bench,
                r.case,
                format!("{} ({})", r.metric, r.unit),
                format!("{:.1}", r.ours),
                baseline,
                ratio,
                r.baseline_name.as_deref().unwrap_or("-"),
                r.target.as_deref().unwrap_or("")
            );
        }
    }

    pub(crate) fn write(&self, path: &std::path::Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(self)?)?;
        Ok(())
    }
}
