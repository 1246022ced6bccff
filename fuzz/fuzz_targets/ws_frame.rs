//! WebSocket update parsing: any text frame the server sends is decoded or refused, never a panic.
//! Input: the frame's text.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The socket hands over text frames only as UTF-8.
    if let Ok(text) = std::str::from_utf8(data) {
        tb_client::fuzzing::ws_frame(text);
    }
});
