//! A history chart: the span picker (1 h, 24 h, 7 d, a custom range), the SVG (time and value
//! axes with the unit, lines broken where data is missing, the min/max band under the average),
//! a readout of the bucket under the pointer, the finger or the arrow keys, and its loading,
//! empty and error states.

use crate::components::chart_scale::{
    band_path, line_path, moment_label, nearest, segments, time_ticks, value_range, value_ticks, Frame, Scale,
};
use crate::components::device_panel::format_number;
use crate::components::quantity::quantity_with;
use crate::hooks::{use_history, HistoryState};
use atrium_ipc::{HistoryChart, HistoryCoverage, HistorySpan, HistorySubject};
use leptos::prelude::*;
use std::collections::BTreeMap;

const HEIGHT: f64 = 200.0;
/// Room for the value labels on the left and the time labels below.
const FRAME_LEFT: f64 = 44.0;
const FRAME_RIGHT: f64 = 10.0;
const FRAME_TOP: f64 = 18.0;
const FRAME_BOTTOM: f64 = 24.0;
/// Used until the chart's box has been measured.
const DEFAULT_WIDTH: f64 = 600.0;

/// The fixed spans, as the picker shows them.
const SPANS: [(HistorySpan, &str, &str); 3] = [
    (HistorySpan::LastHour, "1 h", "last hour"),
    (HistorySpan::LastDay, "24 h", "last 24 h"),
    (HistorySpan::LastWeek, "7 d", "last 7 days"),
];

fn span_phrase(span: HistorySpan) -> &'static str {
    SPANS.iter().find(|(s, _, _)| *s == span).map_or("chosen range", |(_, _, phrase)| phrase)
}

/// The local time's offset from UTC in minutes, east positive.
fn local_offset_minutes() -> i64 {
    -(js_sys::Date::new_0().get_timezone_offset() as i64)
}

/// A `datetime-local` input's value for `ms`.
fn input_value(ms: f64) -> String {
    let d = js_sys::Date::new(&ms.into());
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// A `datetime-local` input's value as ms (local time), if it is one.
fn parse_input(text: &str) -> Option<i64> {
    let ms = js_sys::Date::new(&text.into()).get_time();
    ms.is_finite().then_some(ms as i64)
}

// The props builder that #[component] generates has `pub` methods.
#[allow(unreachable_pub)]
#[component]
pub(crate) fn HistoryCard(
    /// What to chart; `None` while there is nothing to pick.
    #[prop(into)]
    subject: Signal<Option<HistorySubject>>,
    /// Prefix of the element ids, so a page can hold two charts.
    id: &'static str,
    /// Units overriding the usual ones, by key (a device's `atriumUnits`).
    #[prop(optional, into)]
    units: Signal<BTreeMap<String, String>>,
) -> impl IntoView {
    let span = RwSignal::new(HistorySpan::LastDay);
    let history = use_history(subject, span.into());
    let custom_open = RwSignal::new(false);
    let now = js_sys::Date::now();
    let custom_from = RwSignal::new(input_value(now - 2.0 * 86_400_000.0));
    let custom_to = RwSignal::new(input_value(now));
    let custom_error = RwSignal::new(None::<&'static str>);

    let apply_custom = move || match (parse_input(&custom_from.get()), parse_input(&custom_to.get())) {
        (Some(start_ms), Some(end_ms)) if start_ms < end_ms => {
            custom_error.set(None);
            span.set(HistorySpan::Custom { start_ms, end_ms });
        }
        (Some(_), Some(_)) => custom_error.set(Some("The range must end after it starts.")),
        _ => custom_error.set(Some("Enter a date and time for both ends.")),
    };

    let picker = SPANS
        .iter()
        .map(|(choice, short, phrase)| {
            let choice = *choice;
            view! {
                <button
                    type="button"
                    class="button secondary small span-choice touch"
                    data-span=*short
                    aria-pressed=move || (span.get() == choice && !custom_open.get()).to_string()
                    aria-label=format!("Show the {phrase}")
                    on:click=move |_| {
                        custom_open.set(false);
                        span.set(choice);
                    }
                >
                    {*short}
                </button>
            }
        })
        .collect_view();

    let body = move || match history.state.get() {
        HistoryState::Idle => view! { <p class="muted">"Nothing here has values to chart."</p> }.into_any(),
        HistoryState::Loading => view! {
            <p class="muted loading chart-placeholder" aria-busy="true">
                <span class="spinner" aria-hidden="true"></span>
                {format!("Loading the {}…", span_phrase(span.get_untracked()))}
            </p>
        }
        .into_any(),
        HistoryState::Failed(err) => view! {
            <div class="inline-error chart-placeholder" role="alert">
                <p id=format!("{id}-error")>{err.message}</p>
                <button type="button" class="button secondary small touch" on:click=move |_| history.retry()>
                    "Retry"
                </button>
            </div>
        }
        .into_any(),
        HistoryState::Loaded(chart) if chart.is_empty() => view! {
            <p id=format!("{id}-empty") class="muted chart-placeholder">
                {format!("No values in the {}.", span_phrase(span.get_untracked()))}
            </p>
        }
        .into_any(),
        HistoryState::Loaded(chart) => {
            let phrase = span_phrase(span.get_untracked());
            // Tracked: a device's own units may arrive after its chart.
            let units = units.get();
            view! { <HistoryPlot chart=chart phrase=phrase id=id units=units /> }.into_any()
        }
    };

    view! {
        <div class="history-card" id=id>
            <div class="span-picker" role="group" aria-label="Time span">
                {picker}
                <button
                    type="button"
                    class="button secondary small span-choice touch"
                    data-span="custom"
                    aria-pressed=move || custom_open.get().to_string()
                    aria-expanded=move || custom_open.get().to_string()
                    on:click=move |_| custom_open.update(|open| *open = !*open)
                >
                    "Custom"
                </button>
            </div>
            <Show when=move || custom_open.get()>
                <form
                    class="custom-range"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        apply_custom();
                    }
                >
                    <MomentInput label="From" value=custom_from />
                    <MomentInput label="To" value=custom_to />
                    <button type="submit" class="button small touch">"Show"</button>
                    {move || custom_error.get().map(|e| view! { <p class="inline-error" role="alert">{e}</p> })}
                </form>
            </Show>
            {body}
        </div>
    }
}

/// A labelled local date and time (`datetime-local`) kept in `value`.
#[component]
fn MomentInput(label: &'static str, value: RwSignal<String>) -> impl IntoView {
    view! {
        <label>
            <span class="muted">{label}</span>
            <input
                type="datetime-local"
                class="touch"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </label>
    }
}

/// "Average of 12 devices", "Average of 40 of 120 devices reporting it; 2 could not be read".
fn coverage_text(coverage: HistoryCoverage) -> String {
    let devices = |n: u32| if n == 1 { "1 device".to_owned() } else { format!("{n} devices") };
    let mut text = if coverage.averaged + coverage.failed >= coverage.reporting {
        format!("Average of {}", devices(coverage.averaged))
    } else {
        format!("Average of {} of {} reporting it", coverage.averaged, devices(coverage.reporting))
    };
    if coverage.failed > 0 {
        text.push_str(&format!("; {} could not be read", coverage.failed));
    }
    text
}

#[component]
fn HistoryPlot(
    chart: HistoryChart,
    phrase: &'static str,
    id: &'static str,
    units: BTreeMap<String, String>,
) -> impl IntoView {
    let units = StoredValue::new(units);
    let offset = local_offset_minutes();
    let wrapper = NodeRef::<leptos::html::Div>::new();
    let width = RwSignal::new(DEFAULT_WIDTH);
    let measure = move || {
        if let Some(el) = wrapper.get_untracked() {
            let measured = f64::from(el.client_width());
            if measured > 0.0 {
                width.set(measured);
            }
        }
    };
    Effect::new(move |_| {
        if wrapper.get().is_some() {
            measure();
        }
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || resize.remove());

    let range = value_range(chart.series.iter().flat_map(|s| s.points.iter())).unwrap_or((0.0, 1.0));
    let ticks = value_ticks(range.0, range.1, 4);
    let (low, high) = (ticks.first().copied().unwrap_or(range.0), ticks.last().copied().unwrap_or(range.1));
    let unit = units.with_value(|u| {
        chart
            .series
            .first()
            .and_then(|s| quantity_with(&s.key, u).unit.map(str::to_owned))
            .unwrap_or_default()
    });
    let chart = StoredValue::new(chart);
    let scale = move || {
        let frame = Frame {
            left: FRAME_LEFT,
            top: FRAME_TOP,
            width: (width.get() - FRAME_LEFT - FRAME_RIGHT).max(40.0),
            height: HEIGHT - FRAME_TOP - FRAME_BOTTOM,
        };
        chart.with_value(|c| Scale { frame, start_ms: c.start_ms, end_ms: c.end_ms, low, high })
    };
    // The bucket the readout shows: under the pointer, or moved with the arrow keys.
    let cursor = RwSignal::new(None::<i64>);

    let grid = {
        let ticks = ticks.clone();
        move || {
            let s = scale();
            ticks
                .iter()
                .map(|t| {
                    let y = s.y(*t);
                    let label = format_number(*t);
                    view! {
                        <line class="grid" x1=s.frame.left x2=s.frame.left + s.frame.width y1=y y2=y />
                        <text class="tick value-tick" x=s.frame.left - 6.0 y=y + 4.0 text-anchor="end">{label}</text>
                    }
                })
                .collect_view()
        }
    };
    let time_axis = move || {
        let s = scale();
        let wanted = (s.frame.width / 90.0).floor().max(2.0) as usize;
        time_ticks(s.start_ms, s.end_ms, offset, wanted)
            .into_iter()
            .map(|(ts, label)| {
                let x = s.x(ts);
                view! {
                    <line class="tick-mark" x1=x x2=x y1=s.frame.top + s.frame.height y2=s.frame.top + s.frame.height + 4.0 />
                    <text class="tick time-tick" x=x y=HEIGHT - 6.0 text-anchor="middle">{label}</text>
                }
            })
            .collect_view()
    };
    let series = move || {
        let s = scale();
        chart.with_value(|c| {
            c.series
                .iter()
                .enumerate()
                .map(|(i, series)| {
                    let runs = segments(&series.points, c.interval_ms);
                    let bands = runs.iter().map(|run| band_path(run, &s)).collect::<Vec<_>>();
                    let lines = runs.iter().filter(|run| run.len() > 1).map(|run| line_path(run, &s)).collect::<Vec<_>>();
                    // A bucket alone between gaps has no line: a dot shows it.
                    let dots = runs
                        .iter()
                        .filter(|run| run.len() == 1)
                        .map(|run| (s.x(run[0].ts), s.y(run[0].avg)))
                        .collect::<Vec<_>>();
                    view! {
                        <g class=format!("series series-{i}") data-key=series.key.clone()>
                            {bands.into_iter().map(|d| view! { <path class="band" d=d /> }).collect_view()}
                            {lines.into_iter().map(|d| view! { <path class="line" d=d /> }).collect_view()}
                            {dots.into_iter().map(|(cx, cy)| view! { <circle class="dot" cx=cx cy=cy r="2.5" /> }).collect_view()}
                        </g>
                    }
                })
                .collect_view()
        })
    };
    let marker = move || {
        let ts = cursor.get()?;
        let s = scale();
        let x = s.x(ts);
        Some(view! { <line class="cursor" x1=x x2=x y1=s.frame.top y2=s.frame.top + s.frame.height /> })
    };

    let at_pointer = move |offset_x: f64| {
        let s = scale();
        let ts = s.ts_at(offset_x);
        let snapped = chart.with_value(|c| {
            c.series
                .iter()
                .filter_map(|series| nearest(&series.points, ts, c.interval_ms))
                .map(|p| p.ts)
                .min_by_key(|t| (t - ts).abs())
        });
        cursor.set(snapped.or(Some(ts)));
    };
    let step_cursor = move |steps: i64| {
        chart.with_value(|c| {
            let times: Vec<i64> = {
                let mut all: Vec<i64> = c.series.iter().flat_map(|s| s.points.iter().map(|p| p.ts)).collect();
                all.sort_unstable();
                all.dedup();
                all
            };
            let Some(last) = times.len().checked_sub(1) else { return };
            let here =
                cursor.get_untracked().and_then(|t| times.iter().position(|x| *x >= t)).unwrap_or(last);
            let next = (here as i64 + steps).clamp(0, last as i64) as usize;
            cursor.set(Some(times[next]));
        });
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let steps = match ev.key().as_str() {
            "ArrowLeft" => -1,
            "ArrowRight" => 1,
            "PageUp" => -12,
            "PageDown" => 12,
            "Home" => i64::MIN / 2,
            "End" => i64::MAX / 2,
            "Escape" => {
                // The chart's: it takes the cursor away, it does not also go up a level.
                ev.prevent_default();
                cursor.set(None);
                return;
            }
            _ => return,
        };
        ev.prevent_default();
        step_cursor(steps);
    };

    // Under the chart: the bucket under the cursor, or the latest one.
    let readout = move || {
        chart.with_value(|c| {
            let at = cursor.get();
            let parts: Vec<(usize, String, Option<atrium_ipc::HistoryPoint>)> = c
                .series
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let point = match at {
                        Some(ts) => nearest(&s.points, ts, c.interval_ms),
                        None => s.points.last().copied(),
                    };
                    (i, s.key.clone(), point)
                })
                .collect();
            let when = match at {
                Some(ts) => moment_label(ts, offset),
                None => parts
                    .iter()
                    .filter_map(|(_, _, p)| p.map(|p| p.ts))
                    .max()
                    .map_or_else(String::new, |ts| format!("Latest, {}", moment_label(ts, offset))),
            };
            let items = parts
                .into_iter()
                .map(|(i, key, point)| {
                    let (label, text) = units.with_value(|u| {
                        let q = quantity_with(&key, u);
                        let text = match point {
                            Some(p) if p.max > p.min => {
                                format!(
                                    "{} (low {}, high {})",
                                    q.format(p.avg),
                                    q.format(p.min),
                                    q.format(p.max)
                                )
                            }
                            Some(p) => q.format(p.avg),
                            None => "no data".to_owned(),
                        };
                        (q.label.to_owned(), text)
                    });
                    view! {
                        <span class=format!("readout-item series-{i}")>
                            <span class="swatch" aria-hidden="true"></span>
                            <span class="readout-key">{label}</span>
                            " "
                            <span class="readout-value">{text}</span>
                        </span>
                    }
                })
                .collect_view();
            view! {
                <span class="readout-time">{when}</span>
                {items}
            }
        })
    };

    let caption = chart.with_value(|c| {
        let mut text = c
            .series
            .iter()
            .map(|s| {
                units.with_value(|u| {
                    let q = quantity_with(&s.key, u);
                    match value_range(&s.points) {
                        Some((low, high)) => {
                            format!("{} from {} to {}", q.label, q.format(low), q.format(high))
                        }
                        None => format!("{}: no values", q.label),
                    }
                })
            })
            .collect::<Vec<_>>()
            .join("; ");
        text.push_str(&format!(" over the {phrase}"));
        if let Some(coverage) = c.devices {
            text.push_str(&format!(". {}", coverage_text(coverage)));
        }
        text.push('.');
        text
    });

    view! {
        <figure class="history-chart" aria-labelledby=format!("{id}-caption")>
            <div class="chart-box" node_ref=wrapper>
                <svg
                    id=format!("{id}-svg")
                    class="chart"
                    width=move || width.get()
                    height=HEIGHT
                    viewBox=move || format!("0 0 {} {HEIGHT}", width.get())
                    role="img"
                    tabindex="0"
                    aria-label=caption.clone()
                    aria-describedby=format!("{id}-readout")
                    on:pointermove=move |ev| at_pointer(f64::from(ev.offset_x()))
                    on:pointerdown=move |ev| at_pointer(f64::from(ev.offset_x()))
                    on:pointerleave=move |_| cursor.set(None)
                    on:keydown=on_key
                >
                    <text class="unit" x=FRAME_LEFT - 6.0 y="11" text-anchor="end">{unit}</text>
                    {grid}
                    {time_axis}
                    {series}
                    {marker}
                </svg>
            </div>
            <p id=format!("{id}-readout") class="chart-readout" aria-live="polite">{readout}</p>
            <figcaption id=format!("{id}-caption") class="muted chart-caption">{caption}</figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_says_what_the_average_leaves_out() {
        let all = HistoryCoverage { averaged: 12, reporting: 12, failed: 0 };
        assert_eq!(coverage_text(all), "Average of 12 devices");
        let capped = HistoryCoverage { averaged: 40, reporting: 120, failed: 0 };
        assert_eq!(coverage_text(capped), "Average of 40 of 120 devices reporting it");
        let failed = HistoryCoverage { averaged: 1, reporting: 3, failed: 2 };
        assert_eq!(coverage_text(failed), "Average of 1 device; 2 could not be read");
        assert_eq!(span_phrase(HistorySpan::LastWeek), "last 7 days");
        assert_eq!(span_phrase(HistorySpan::Custom { start_ms: 0, end_ms: 1 }), "chosen range");
    }
}
