//! Recognising a downloaded recording and measuring it.
//!
//! [`sniff`] decides from the first bytes of a body whether it is audio Postcall can store, and which
//! container it is in, so that an HTML error page or a JSON error served in place of a recording is rejected
//! with a reason a person can act on. [`analyze`] decodes a stored file once and returns its exact duration
//! and a small waveform (peaks) for the player, in constant memory whatever the length of the recording.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CodecType, DecoderOptions, CODEC_TYPE_NULL, CODEC_TYPE_OPUS};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// An audio container Postcall recognises from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mp3,
    Mp4,
    Wav,
    Ogg,
    Flac,
    Webm,
}

impl Format {
    /// The MIME type to serve the stored file with.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Mp3 => "audio/mpeg",
            Format::Mp4 => "audio/mp4",
            Format::Wav => "audio/wav",
            Format::Ogg => "audio/ogg",
            Format::Flac => "audio/flac",
            Format::Webm => "audio/webm",
        }
    }

    /// The file extension to store the file under (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Mp3 => "mp3",
            Format::Mp4 => "m4a",
            Format::Wav => "wav",
            Format::Ogg => "ogg",
            Format::Flac => "flac",
            Format::Webm => "webm",
        }
    }

    /// The name to show a person.
    pub fn label(self) -> &'static str {
        match self {
            Format::Mp3 => "MP3",
            Format::Mp4 => "AAC (M4A)",
            Format::Wav => "WAV",
            Format::Ogg => "Ogg",
            Format::Flac => "FLAC",
            Format::Webm => "WebM",
        }
    }
}

/// Decides the format from the first bytes (at least the first 64 KiB when available), using the declared
/// Content-Type only as a hint.
///
/// Returns Err with a plain-words reason when the body is not audio (e.g. "the server sent an HTML page, not
/// audio (Content-Type text/html)", "the file is not a recognised audio format (starts with 7B 22 ...)").
pub fn sniff(head: &[u8], content_type: Option<&str>) -> Result<Format, String> {
    let content_type = content_type.map(str::trim).filter(|ct| !ct.is_empty());
    if let Some(format) = sniff_audio(head) {
        return Ok(format);
    }
    Err(describe_non_audio(head, content_type))
}

/// The container that the magic bytes at the start of `head` name, if any.
fn sniff_audio(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"fLaC") {
        return Some(Format::Flac);
    }
    if head.starts_with(b"OggS") {
        return Some(Format::Ogg);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some(Format::Webm);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        return Some(Format::Wav);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" && !is_image_brand(&head[8..12]) {
        return Some(Format::Mp4);
    }
    if let Some(tag_len) = id3_tag_len(head) {
        // An ID3v2 tag is almost always followed by MPEG audio; FLAC files occasionally carry one too.
        let rest = head.get(tag_len..).unwrap_or_default();
        let rest = &rest[rest.iter().position(|&b| b != 0).unwrap_or(rest.len())..];
        if rest.starts_with(b"fLaC") {
            return Some(Format::Flac);
        }
        return Some(Format::Mp3);
    }
    if is_mpeg_audio_start(head) {
        return Some(Format::Mp3);
    }
    None
}

/// ISO-BMFF brands that are pictures, not sound (HEIF/AVIF share MP4's `ftyp` box).
fn is_image_brand(brand: &[u8]) -> bool {
    matches!(brand, b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" | b"avif" | b"avis")
}

/// The whole length (header, body and footer) of an ID3v2 tag at the start of `head`.
fn id3_tag_len(head: &[u8]) -> Option<usize> {
    if head.len() < 10 || &head[0..3] != b"ID3" {
        return None;
    }
    let (major, revision, flags) = (head[3], head[4], head[5]);
    if !(2..=4).contains(&major) || revision == 0xFF || head[6..10].iter().any(|&b| b & 0x80 != 0) {
        return None;
    }
    let size = head[6..10].iter().fold(0usize, |acc, &b| (acc << 7) | usize::from(b));
    let footer = if major == 4 && flags & 0x10 != 0 { 10 } else { 0 };
    Some(10 + size + footer)
}

/// A parsed MPEG audio frame header.
struct MpegHeader {
    /// The frame's length in bytes, when the bitrate is not "free format".
    frame_len: Option<usize>,
}

fn mpeg_header(bytes: &[u8]) -> Option<MpegHeader> {
    let &[b0, b1, b2, _] = bytes.get(..4)? else { return None };
    if b0 != 0xFF || b1 & 0xE0 != 0xE0 {
        return None;
    }
    let version = (b1 >> 3) & 0b11; // 0 = MPEG 2.5, 1 = reserved, 2 = MPEG 2, 3 = MPEG 1
    let layer = (b1 >> 1) & 0b11; // 0 = reserved (ADTS AAC), 1 = III, 2 = II, 3 = I
    let bitrate_index = usize::from(b2 >> 4);
    let rate_index = usize::from((b2 >> 2) & 0b11);
    let padding = usize::from((b2 >> 1) & 1);
    if version == 1 || layer == 0 || bitrate_index == 0xF || rate_index == 3 {
        return None;
    }
    if bitrate_index == 0 {
        return Some(MpegHeader { frame_len: None });
    }
    const V1: [[u32; 15]; 3] = [
        [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448], // layer I
        [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],    // layer II
        [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],     // layer III
    ];
    const V2: [[u32; 15]; 2] = [
        [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256], // layer I
        [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],      // layers II and III
    ];
    const RATES: [u32; 3] = [44_100, 48_000, 32_000];
    let mpeg1 = version == 3;
    let kbps = match (mpeg1, layer) {
        (true, 3) => V1[0][bitrate_index],
        (true, 2) => V1[1][bitrate_index],
        (true, _) => V1[2][bitrate_index],
        (false, 3) => V2[0][bitrate_index],
        (false, _) => V2[1][bitrate_index],
    };
    // MPEG 2 halves the MPEG 1 sample rates, MPEG 2.5 quarters them.
    let divisor = match version {
        3 => 1,
        2 => 2,
        _ => 4,
    };
    let rate = (RATES[rate_index] / divisor) as usize;
    let bps = kbps as usize * 1000;
    let frame_len = match layer {
        3 => (12 * bps / rate + padding) * 4,
        1 if !mpeg1 => 72 * bps / rate + padding,
        _ => 144 * bps / rate + padding,
    };
    Some(MpegHeader { frame_len: Some(frame_len) })
}

/// Whether `head` starts with an MPEG audio frame (and, when the head reaches that far, is followed by another).
fn is_mpeg_audio_start(head: &[u8]) -> bool {
    let Some(first) = mpeg_header(head) else { return false };
    match first.frame_len {
        Some(len) if head.len() >= len + 4 => mpeg_header(&head[len..]).is_some(),
        _ => true,
    }
}

/// The reason a body that is not audio is refused, in plain words.
fn describe_non_audio(head: &[u8], content_type: Option<&str>) -> String {
    let ct_note = content_type.map(|ct| format!(" (Content-Type {ct})")).unwrap_or_default();
    let subject = if content_type.is_some() { "the server sent" } else { "the file is" };
    if head.is_empty() {
        return if content_type.is_some() {
            format!("the server sent an empty body, not audio{ct_note}")
        } else {
            "the file is empty".to_string()
        };
    }
    if let Some(kind) = binary_kind(head) {
        return format!("{subject} {kind}, not audio{ct_note}");
    }
    if let Some(text) = as_text(head) {
        let trimmed = text.trim_start();
        let lower: String = trimmed.chars().take(2048).collect::<String>().to_ascii_lowercase();
        let declared_html = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html"));
        let looks_html = lower.starts_with("<!doctype html")
            || lower.starts_with("<html")
            || (lower.starts_with('<')
                && (lower.contains("<html") || lower.contains("<body") || lower.contains("<head")));
        if looks_html || (declared_html && !lower.starts_with("<?xml") && !lower.starts_with('{')) {
            let title = html_title(text).map(|t| format!(": \"{t}\"")).unwrap_or_default();
            return format!("{subject} an HTML page, not audio{ct_note}{title}");
        }
        let kind = if lower.starts_with('<') {
            "an XML document"
        } else if lower.starts_with('{') || lower.starts_with('[') {
            "JSON"
        } else {
            "text"
        };
        return format!("{subject} {kind}, not audio{ct_note}: \"{}\"", snippet(trimmed, 120));
    }
    let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02X}")).collect();
    let ellipsis = if head.len() > 8 { " ..." } else { "" };
    format!("the file is not a recognised audio format (starts with {}{ellipsis}){ct_note}", hex.join(" "))
}

/// Names a few common non-audio binary files, for a clearer refusal.
fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const KINDS: [(&[u8], &str); 7] = [
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1F\x8B", "a gzip-compressed file"),
        (b"\x00\x00\x01\xBA", "an MPEG video"),
    ];
    if head.len() >= 12 && &head[4..8] == b"ftyp" && is_image_brand(&head[8..12]) {
        return Some("a HEIF/AVIF image");
    }
    KINDS.iter().find(|(magic, _)| head.starts_with(magic)).map(|&(_, kind)| kind)
}

/// The head as text, when it is text (UTF-8, possibly cut mid-character at the end, with an optional BOM).
fn as_text(head: &[u8]) -> Option<&str> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let sample = &head[..head.len().min(4096)];
    let text = match std::str::from_utf8(sample) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => {
            std::str::from_utf8(&sample[..e.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    let is_text = text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0C'));
    is_text.then_some(text)
}

/// The contents of an HTML page's `<title>`, if the head holds it.
fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = snippet(text.get(start..end)?, 100);
    (!title.is_empty()).then_some(title)
}

/// The first `max` characters of `text` with whitespace runs collapsed.
fn snippet(text: &str, max: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > max {
        let cut: String = collapsed.chars().take(max).collect();
        format!("{cut}...")
    } else {
        collapsed
    }
}

/// The duration and waveform of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The decoded length in seconds (frames decoded / sample rate).
    pub duration_seconds: f64,
    /// The loudest absolute amplitude in each of evenly spaced slices of the recording, scaled so the loudest
    /// slice is 255 (all zeros when the recording is silent).
    pub peaks: Vec<u8>,
}

/// Why a stored recording could not be analysed, in plain words.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error("cannot open the recording {}: {source}", .path.display())]
    Open { path: PathBuf, source: io::Error },
    #[error("cannot read this {} file: {reason}", .format.label())]
    Unreadable { format: Format, reason: String },
    #[error("cannot decode this {} file: it has no audio track", .format.label())]
    NoAudioTrack { format: Format },
    #[error("cannot decode this {} file: its audio codec ({codec}) is not supported", .format.label())]
    UnsupportedCodec { format: Format, codec: String },
    #[error("cannot decode this {} file: {reason}", .format.label())]
    Decode { format: Format, reason: String },
    #[error("cannot decode this {} file: no audio could be decoded from it", .format.label())]
    NoAudio { format: Format },
}

/// How many peaks [`analyze`] returns for a recording of this length: ten per second, at least 200 and at
/// most 4000 (fewer when the recording is too short to fill them).
pub fn bucket_count(duration_seconds: f64) -> usize {
    let wanted = if duration_seconds.is_nan() { 0.0 } else { duration_seconds * 10.0 };
    wanted.round().clamp(200.0, 4000.0) as usize
}

/// Below this amplitude (about -80 dBFS) the whole recording counts as silence, so that encoder noise in a
/// silent file is not blown up into a full-height waveform.
const SILENCE: f32 = 1e-4;

/// The most fine blocks kept while decoding; past it, neighbours are merged pairwise (constant memory).
const MAX_BLOCKS: usize = 1 << 16;

/// Keeps the peak of consecutive fixed-length blocks of frames, doubling the block length when there are too
/// many, so that any length of recording is summarised in at most [`MAX_BLOCKS`] numbers.
struct PeakAccumulator {
    block_frames: u64,
    blocks: Vec<f32>,
    current: f32,
    filled: u64,
}

impl PeakAccumulator {
    fn new(sample_rate: u32) -> Self {
        // 10 ms blocks to start with.
        let block_frames = u64::from(sample_rate / 100).max(1);
        PeakAccumulator { block_frames, blocks: Vec::new(), current: 0.0, filled: 0 }
    }

    /// Adds interleaved samples of `channels` channels.
    fn push(&mut self, samples: &[f32], channels: usize) {
        let channels = channels.max(1);
        let mut rest = samples;
        while !rest.is_empty() {
            let room = usize::try_from(self.block_frames - self.filled).unwrap_or(usize::MAX);
            let take = rest.len().min(room.saturating_mul(channels));
            let (chunk, tail) = rest.split_at(take);
            self.current = chunk.iter().fold(self.current, |peak, s| peak.max(s.abs()));
            self.filled += (take / channels) as u64;
            rest = tail;
            if self.filled >= self.block_frames {
                self.finish_block();
            }
        }
    }

    fn finish_block(&mut self) {
        self.blocks.push(self.current);
        self.current = 0.0;
        self.filled = 0;
        if self.blocks.len() >= MAX_BLOCKS {
            let merged: Vec<f32> =
                self.blocks.chunks(2).map(|pair| pair.iter().fold(0.0f32, |a, &b| a.max(b))).collect();
            self.blocks = merged;
            self.block_frames *= 2;
        }
    }

    /// The peaks over `buckets` even slices (fewer if there are fewer blocks), scaled to 0..=255.
    fn finish(mut self, buckets: usize) -> Vec<u8> {
        if self.filled > 0 {
            self.blocks.push(self.current);
        }
        let blocks = self.blocks;
        let n = blocks.len();
        let buckets = buckets.min(n);
        if buckets == 0 {
            return Vec::new();
        }
        let peaks: Vec<f32> = (0..buckets)
            .map(|i| blocks[i * n / buckets..(i + 1) * n / buckets].iter().fold(0.0f32, |a, &b| a.max(b)))
            .collect();
        let loudest = peaks.iter().fold(0.0f32, |a, &b| a.max(b));
        if loudest < SILENCE {
            return vec![0; buckets];
        }
        peaks.iter().map(|&p| ((p / loudest).min(1.0) * 255.0).round() as u8).collect()
    }
}

/// Decodes the whole file once and returns its duration and [`bucket_count`] peaks (fewer if the audio is
/// very short). Packets that fail to decode are skipped; a file cut short ends where its data ends.
pub fn analyze(path: &Path, format: Format) -> Result<Analysis, AnalyzeError> {
    let file = File::open(path).map_err(|source| AnalyzeError::Open { path: path.to_path_buf(), source })?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(format.extension()).mime_type(format.content_type());
    let format_options = FormatOptions { enable_gapless: true, ..Default::default() };
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &format_options, &MetadataOptions::default())
        .map_err(|e| AnalyzeError::Unreadable { format, reason: plain_error(&e) })?;
    let mut reader = probed.format;

    let codecs = symphonia::default::get_codecs();
    let audio_tracks: Vec<_> = reader.tracks().iter().filter(|t| t.codec_params.codec != CODEC_TYPE_NULL).collect();
    let Some(track) = audio_tracks
        .iter()
        .find(|t| codecs.get_codec(t.codec_params.codec).is_some())
        .or_else(|| audio_tracks.first())
        .copied()
    else {
        return Err(AnalyzeError::NoAudioTrack { format });
    };
    let track_id = track.id;
    let mut decoder = codecs.make(&track.codec_params, &DecoderOptions::default()).map_err(|e| match e {
        SymphoniaError::Unsupported(_) => {
            AnalyzeError::UnsupportedCodec { format, codec: codec_name(track.codec_params.codec) }
        }
        other => AnalyzeError::Decode { format, reason: plain_error(&other) },
    })?;

    let mut duration_seconds = 0.0f64;
    let mut accumulator: Option<PeakAccumulator> = None;
    let mut samples: Option<SampleBuffer<f32>> = None;
    let mut bad_packets = 0u64;
    let mut consecutive_read_errors = 0u32;
    let mut last_error: Option<String> = None;
    loop {
        let packet = match reader.next_packet() {
            Ok(packet) => {
                consecutive_read_errors = 0;
                packet
            }
            Err(SymphoniaError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::ResetRequired) => break,
            Err(SymphoniaError::DecodeError(msg)) if consecutive_read_errors < 100 => {
                // Damaged container data: the reader resynchronises on the next packet.
                consecutive_read_errors += 1;
                last_error = Some(format!("malformed stream: {msg}"));
                continue;
            }
            Err(e) => {
                if accumulator.is_some() {
                    // Audio was read before the damage: keep what was decoded.
                    break;
                }
                return Err(AnalyzeError::Decode { format, reason: plain_error(&e) });
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(SymphoniaError::DecodeError(msg)) => {
                bad_packets += 1;
                last_error = Some(format!("malformed stream: {msg}"));
                continue;
            }
            Err(SymphoniaError::IoError(e)) => {
                bad_packets += 1;
                last_error = Some(e.to_string());
                continue;
            }
            Err(SymphoniaError::ResetRequired) => {
                decoder.reset();
                continue;
            }
            Err(e) => return Err(AnalyzeError::Decode { format, reason: plain_error(&e) }),
        };
        let spec = *decoded.spec();
        let frames = decoded.frames();
        if frames == 0 || spec.rate == 0 {
            continue;
        }
        let channels = spec.channels.count();
        let buffer = match &mut samples {
            Some(buffer) if buffer.capacity() >= frames * channels => buffer,
            slot => slot.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buffer.copy_interleaved_ref(decoded);
        duration_seconds += frames as f64 / f64::from(spec.rate);
        accumulator.get_or_insert_with(|| PeakAccumulator::new(spec.rate)).push(buffer.samples(), channels);
    }

    let Some(accumulator) = accumulator else {
        if let Some(reason) = last_error.filter(|_| bad_packets > 0) {
            return Err(AnalyzeError::Decode { format, reason });
        }
        return Err(AnalyzeError::NoAudio { format });
    };
    let peaks = accumulator.finish(bucket_count(duration_seconds));
    Ok(Analysis { duration_seconds, peaks })
}

/// A symphonia error in words a person can read.
fn plain_error(error: &SymphoniaError) -> String {
    match error {
        SymphoniaError::IoError(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            "the file ends unexpectedly (it may be cut short or damaged)".to_string()
        }
        SymphoniaError::Unsupported(what) if what.contains("no suitable format reader") => {
            "it is not in a format that can be decoded".to_string()
        }
        other => other.to_string(),
    }
}

fn codec_name(codec: CodecType) -> String {
    if codec == CODEC_TYPE_OPUS {
        return "Opus".to_string();
    }
    match symphonia::default::get_codecs().get_codec(codec) {
        Some(descriptor) => descriptor.short_name.to_string(),
        None => format!("codec {codec}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const SPEECH: &str = "hello, this is a test call from Postcall. We are checking that recordings are measured well.";

    /// Runs a tool the tests need, failing with a clear message when it is missing or fails.
    fn run(program: &str, args: &[&str]) -> String {
        let output = Command::new(program).args(args).output().unwrap_or_else(|e| {
            panic!(
                "cannot run {program} ({e}): these tests need espeak-ng and ffmpeg (apt-get install espeak-ng ffmpeg)"
            )
        });
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}\n(these tests need espeak-ng and ffmpeg: apt-get install espeak-ng ffmpeg)",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn path_str(path: &Path) -> &str {
        path.to_str().expect("temporary paths are UTF-8")
    }

    /// Speech as a WAV file made by espeak-ng.
    fn speech_wav(dir: &Path) -> PathBuf {
        let wav = dir.join("speech.wav");
        run("espeak-ng", &["-w", path_str(&wav), SPEECH]);
        wav
    }

    /// Converts `source` with ffmpeg, passing `codec_args` before the output path.
    fn convert(source: &Path, target: &Path, codec_args: &[&str]) -> PathBuf {
        let mut args = vec!["-y", "-loglevel", "error", "-i", path_str(source)];
        args.extend_from_slice(codec_args);
        args.push(path_str(target));
        run("ffmpeg", &args);
        target.to_path_buf()
    }

    /// Generates audio with an ffmpeg lavfi source.
    fn generate(lavfi: &str, target: &Path, codec_args: &[&str]) -> PathBuf {
        let mut args = vec!["-y", "-loglevel", "error", "-f", "lavfi", "-i", lavfi];
        args.extend_from_slice(codec_args);
        args.push(path_str(target));
        run("ffmpeg", &args);
        target.to_path_buf()
    }

    fn ffprobe_duration(path: &Path) -> f64 {
        let out = run(
            "ffprobe",
            &["-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", path_str(path)],
        );
        out.trim().parse().expect("ffprobe prints a duration")
    }

    fn head(path: &Path) -> Vec<u8> {
        let bytes = std::fs::read(path).expect("read generated file");
        bytes[..bytes.len().min(64 * 1024)].to_vec()
    }

    /// Speech in every container Postcall accepts.
    struct Samples {
        _dir: tempfile::TempDir,
        wav: PathBuf,
        mp3: PathBuf,
        mp3_bare: PathBuf,
        m4a: PathBuf,
        ogg: PathBuf,
        flac: PathBuf,
        webm_opus: PathBuf,
        webm_vorbis: PathBuf,
    }

    fn samples() -> Samples {
        let dir = tempfile::tempdir().expect("tempdir");
        let wav = speech_wav(dir.path());
        let d = dir.path();
        Samples {
            mp3: convert(&wav, &d.join("speech.mp3"), &["-c:a", "libmp3lame", "-b:a", "64k"]),
            mp3_bare: convert(
                &wav,
                &d.join("bare.mp3"),
                &["-c:a", "libmp3lame", "-id3v2_version", "0", "-write_xing", "0"],
            ),
            m4a: convert(&wav, &d.join("speech.m4a"), &["-c:a", "aac", "-b:a", "64k"]),
            ogg: convert(&wav, &d.join("speech.ogg"), &["-c:a", "libvorbis"]),
            flac: convert(&wav, &d.join("speech.flac"), &["-c:a", "flac"]),
            webm_opus: convert(&wav, &d.join("opus.webm"), &["-c:a", "libopus"]),
            webm_vorbis: convert(&wav, &d.join("vorbis.webm"), &["-c:a", "libvorbis"]),
            wav,
            _dir: dir,
        }
    }

    #[test]
    fn format_names() {
        let all = [Format::Mp3, Format::Mp4, Format::Wav, Format::Ogg, Format::Flac, Format::Webm];
        let types: Vec<_> = all.iter().map(|f| f.content_type()).collect();
        assert_eq!(types, ["audio/mpeg", "audio/mp4", "audio/wav", "audio/ogg", "audio/flac", "audio/webm"]);
        let extensions: Vec<_> = all.iter().map(|f| f.extension()).collect();
        assert_eq!(extensions, ["mp3", "m4a", "wav", "ogg", "flac", "webm"]);
        let labels: Vec<_> = all.iter().map(|f| f.label()).collect();
        assert_eq!(labels, ["MP3", "AAC (M4A)", "WAV", "Ogg", "FLAC", "WebM"]);
    }

    #[test]
    fn sniff_recognises_generated_files() {
        let s = samples();
        let cases = [
            (&s.wav, Format::Wav),
            (&s.mp3, Format::Mp3),
            (&s.mp3_bare, Format::Mp3),
            (&s.m4a, Format::Mp4),
            (&s.ogg, Format::Ogg),
            (&s.flac, Format::Flac),
            (&s.webm_opus, Format::Webm),
            (&s.webm_vorbis, Format::Webm),
        ];
        for (path, expected) in cases {
            let head = head(path);
            assert_eq!(sniff(&head, None), Ok(expected), "{}", path.display());
            assert_eq!(sniff(&head, Some(expected.content_type())), Ok(expected), "{}", path.display());
            // Only the first few bytes are needed.
            assert_eq!(sniff(&head[..16], None), Ok(expected), "{} (16 bytes)", path.display());
        }
        assert!(head(&s.mp3).starts_with(b"ID3"), "ffmpeg writes an ID3 tag by default");
        assert_eq!(head(&s.mp3_bare)[0], 0xFF, "the bare MP3 starts with a frame");
    }

    #[test]
    fn sniff_believes_bytes_over_a_lying_content_type() {
        let s = samples();
        assert_eq!(sniff(&head(&s.mp3), Some("application/octet-stream")), Ok(Format::Mp3));
        assert_eq!(sniff(&head(&s.mp3_bare), Some("text/html")), Ok(Format::Mp3));
        assert_eq!(sniff(&head(&s.m4a), Some("audio/mpeg")), Ok(Format::Mp4));
        assert_eq!(sniff(&head(&s.wav), Some("binary/octet-stream")), Ok(Format::Wav));

        let page = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>gone</body></html>";
        let reason = sniff(page, Some("audio/mpeg")).expect_err("HTML served as audio/mpeg is refused");
        assert_eq!(reason, "the server sent an HTML page, not audio (Content-Type audio/mpeg): \"404 Not Found\"");
    }

    #[test]
    fn sniff_rejects_html() {
        let page = b"\n  <!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign in</title>";
        let reason = sniff(page, Some("text/html; charset=utf-8")).expect_err("HTML is refused");
        assert!(reason.starts_with("the server sent an HTML page, not audio (Content-Type text/html; charset=utf-8)"));
        assert!(reason.contains("Sign in"), "{reason}");

        let reason = sniff(b"<html><body>Access denied</body></html>", None).expect_err("HTML is refused");
        assert_eq!(reason, "the file is an HTML page, not audio");

        // Declared HTML that is plain text is still called an HTML page.
        let reason = sniff(b"Service Unavailable", Some("text/html")).expect_err("refused");
        assert!(reason.starts_with("the server sent an HTML page, not audio (Content-Type text/html)"), "{reason}");
    }

    #[test]
    fn sniff_rejects_json_xml_text_and_binary() {
        let reason = sniff(br#"{"error": "recording not found", "code": 404}"#, Some("application/json"))
            .expect_err("JSON is refused");
        assert_eq!(
            reason,
            r#"the server sent JSON, not audio (Content-Type application/json): "{"error": "recording not found", "code": 404}""#
        );
        let reason = sniff(b"[1, 2, 3]", None).expect_err("JSON is refused");
        assert!(reason.starts_with("the file is JSON, not audio"), "{reason}");

        let s3 = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
        let reason = sniff(s3, Some("application/xml")).expect_err("XML is refused");
        assert!(reason.starts_with("the server sent an XML document, not audio (Content-Type application/xml): "));
        assert!(reason.contains("AccessDenied"), "{reason}");

        let reason = sniff(b"Unauthorized", Some("text/plain")).expect_err("text is refused");
        assert_eq!(reason, "the server sent text, not audio (Content-Type text/plain): \"Unauthorized\"");

        let long = "x".repeat(500);
        let reason = sniff(long.as_bytes(), None).expect_err("text is refused");
        assert!(reason.len() < 200, "long bodies are cut: {reason}");

        assert_eq!(sniff(b"", None), Err("the file is empty".to_string()));
        assert_eq!(
            sniff(b"", Some("audio/mpeg")),
            Err("the server sent an empty body, not audio (Content-Type audio/mpeg)".to_string())
        );
        assert_eq!(
            sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3", Some("application/pdf")),
            Err("the server sent a PDF document, not audio (Content-Type application/pdf)".to_string())
        );
        assert_eq!(
            sniff(&[0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09], None),
            Err("the file is not a recognised audio format (starts with 00 01 02 03 04 05 06 07 ...)".to_string())
        );
        assert_eq!(
            sniff(&[0xDE, 0xAD, 0xBE, 0xEF], Some("application/octet-stream")),
            Err("the file is not a recognised audio format (starts with DE AD BE EF) (Content-Type application/octet-stream)"
                .to_string())
        );
        let heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic";
        assert_eq!(sniff(heic, None), Err("the file is a HEIF/AVIF image, not audio".to_string()));
    }

    #[test]
    fn sniff_checks_mpeg_header_bits() {
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz: a valid frame header.
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64], None), Ok(Format::Mp3));
        // MPEG-2 layer III, 64 kbit/s, 22.05 kHz.
        assert_eq!(sniff(&[0xFF, 0xF3, 0x80, 0xC4], None), Ok(Format::Mp3));
        // Reserved version, reserved layer (ADTS AAC), bad bitrate, reserved sample rate.
        for bytes in
            [[0xFF, 0xEB, 0x90, 0x64], [0xFF, 0xF1, 0x50, 0x80], [0xFF, 0xFB, 0xF0, 0x64], [0xFF, 0xFB, 0x9C, 0x64]]
        {
            assert!(sniff(&bytes, None).is_err(), "{bytes:02X?} is not an MPEG audio frame");
        }
        // A valid-looking first header whose next frame is not there is refused when the head reaches it.
        let mut fake = vec![0xFF, 0xFB, 0x90, 0x64];
        fake.resize(2000, 0x55);
        assert!(sniff(&fake, None).is_err());
        // 417 bytes per frame at 128 kbit/s and 44.1 kHz without padding: two frames in a row are accepted.
        let mut frames = fake[..417].to_vec();
        frames.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
        frames.resize(2000, 0x55);
        assert_eq!(sniff(&frames, None), Ok(Format::Mp3));
    }

    #[test]
    fn sniff_skips_id3_tags() {
        // A tag bigger than the head (a cover picture) still means MP3.
        let mut tag = b"ID3\x04\x00\x00\x00\x10\x00\x00".to_vec(); // 256 KiB of tag body
        tag.resize(64 * 1024, 0);
        assert_eq!(sniff(&tag, None), Ok(Format::Mp3));
        // A small tag followed by FLAC.
        let mut flac = b"ID3\x03\x00\x00\x00\x00\x00\x04".to_vec();
        flac.extend_from_slice(&[0; 4]);
        flac.extend_from_slice(b"fLaC\x00\x00\x00\x22");
        assert_eq!(sniff(&flac, None), Ok(Format::Flac));
        // "ID3" text with an impossible size is not a tag.
        assert!(sniff(b"ID3 is a tag format used by MP3 files", None).is_err());
    }

    fn assert_peaks_ok(analysis: &Analysis, what: &str) {
        assert!(!analysis.peaks.is_empty(), "{what}: no peaks");
        assert_eq!(analysis.peaks.iter().max(), Some(&255), "{what}: loudest peak is not 255");
        assert!(analysis.peaks.len() <= bucket_count(analysis.duration_seconds), "{what}: too many peaks");
    }

    #[test]
    fn analyze_matches_ffprobe() {
        let s = samples();
        let cases = [
            (&s.wav, Format::Wav),
            (&s.mp3, Format::Mp3),
            (&s.mp3_bare, Format::Mp3),
            (&s.m4a, Format::Mp4),
            (&s.ogg, Format::Ogg),
            (&s.flac, Format::Flac),
            (&s.webm_vorbis, Format::Webm),
        ];
        for (path, format) in cases {
            let what = path.display().to_string();
            let analysis = analyze(path, format).unwrap_or_else(|e| panic!("{what}: {e}"));
            let expected = ffprobe_duration(path);
            assert!(
                (analysis.duration_seconds - expected).abs() <= 0.15,
                "{what}: duration {} but ffprobe says {expected}",
                analysis.duration_seconds
            );
            assert!(expected > 3.0, "{what}: the speech sample is long enough");
            assert_eq!(analysis.peaks.len(), 200, "{what}: short files get the minimum of 200 peaks");
            assert_peaks_ok(&analysis, &what);
        }
    }

    #[test]
    fn analyze_refuses_opus_clearly() {
        let s = samples();
        let error = analyze(&s.webm_opus, Format::Webm).expect_err("Opus cannot be decoded");
        assert!(matches!(error, AnalyzeError::UnsupportedCodec { .. }), "{error:?}");
        assert_eq!(error.to_string(), "cannot decode this WebM file: its audio codec (Opus) is not supported");
    }

    #[test]
    fn peaks_follow_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Four seconds of silence, then four of a tone.
        let lavfi = "anullsrc=r=16000:cl=mono:d=4[a];sine=frequency=440:sample_rate=16000:duration=4[b];[a][b]concat=n=2:v=0:a=1";
        for (name, args) in [("steps.wav", &[][..]), ("steps.mp3", &["-c:a", "libmp3lame"][..])] {
            let path = generate(lavfi, &dir.path().join(name), args);
            let format = sniff(&head(&path), None).expect("audio");
            let analysis = analyze(&path, format).expect("analyse");
            let peaks = &analysis.peaks;
            assert_eq!(peaks.len(), 200);
            assert!(peaks[..95].iter().all(|&p| p == 0), "{name}: silence first: {peaks:?}");
            assert!(peaks[105..].iter().all(|&p| p > 200), "{name}: tone second: {peaks:?}");
        }
    }

    #[test]
    fn silent_files_give_zero_peaks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let silence = "anullsrc=r=22050:cl=stereo:d=3";
        for (name, args) in
            [("silent.wav", &[][..]), ("silent.mp3", &["-c:a", "libmp3lame"][..]), ("silent.m4a", &["-c:a", "aac"][..])]
        {
            let path = generate(silence, &dir.path().join(name), args);
            let format = sniff(&head(&path), None).expect("audio");
            let analysis = analyze(&path, format).expect("analyse");
            assert!((analysis.duration_seconds - 3.0).abs() < 0.15, "{name}: {}", analysis.duration_seconds);
            assert!(!analysis.peaks.is_empty(), "{name}");
            assert!(analysis.peaks.iter().all(|&p| p == 0), "{name}: {:?}", analysis.peaks);
        }
    }

    #[test]
    fn truncated_files_analyse_or_fail_cleanly() {
        let s = samples();
        let dir = tempfile::tempdir().expect("tempdir");
        for (path, format) in
            [(&s.mp3, Format::Mp3), (&s.mp3_bare, Format::Mp3), (&s.m4a, Format::Mp4), (&s.wav, Format::Wav)]
        {
            let full = analyze(path, format).expect("full file").duration_seconds;
            let bytes = std::fs::read(path).expect("read");
            // Cut mid-frame, a little past the middle.
            let cut = dir.path().join(format!("cut.{}", format.extension()));
            std::fs::write(&cut, &bytes[..bytes.len() / 2 + 37]).expect("write");
            match analyze(&cut, format) {
                Ok(analysis) => {
                    assert!(
                        analysis.duration_seconds < full - 0.5,
                        "{}: {} vs {full}",
                        path.display(),
                        analysis.duration_seconds
                    );
                    assert!(
                        analysis.duration_seconds > full * 0.3,
                        "{}: {}",
                        path.display(),
                        analysis.duration_seconds
                    );
                    assert_peaks_ok(&analysis, "truncated");
                }
                Err(e) => assert!(e.to_string().starts_with("cannot "), "{e}"),
            }
        }
        // The MP3 and WAV readers must keep what is there.
        let bytes = std::fs::read(&s.mp3).expect("read");
        let cut = dir.path().join("cut.mp3");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
        let analysis = analyze(&cut, Format::Mp3).expect("a truncated MP3 still analyses");
        assert!(analysis.duration_seconds > 1.0);
    }

    #[test]
    fn damaged_mp3_is_tolerated() {
        let s = samples();
        let mut bytes = std::fs::read(&s.mp3_bare).expect("read");
        // Scribble over a stretch in the middle.
        let middle = bytes.len() / 2;
        for (i, b) in bytes[middle..middle + 600].iter_mut().enumerate() {
            *b = (i * 7 % 251) as u8;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("damaged.mp3");
        std::fs::write(&path, &bytes).expect("write");
        let analysis = analyze(&path, Format::Mp3).expect("damage in the middle is skipped");
        let expected = ffprobe_duration(&s.mp3_bare);
        assert!(analysis.duration_seconds > expected - 0.5, "{} vs {expected}", analysis.duration_seconds);
        assert_peaks_ok(&analysis, "damaged");
    }

    #[test]
    fn garbage_gives_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = dir.path().join("garbage.bin");
        std::fs::write(&text, "this is not audio at all. ".repeat(4000)).expect("write");
        let mut noise = Vec::with_capacity(100_000);
        let mut x = 0x2545_F491_u32;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push((x >> 24) as u8);
        }
        let noisy = dir.path().join("noise.bin");
        std::fs::write(&noisy, &noise).expect("write");
        let empty = dir.path().join("empty.bin");
        std::fs::write(&empty, b"").expect("write");
        for format in [Format::Mp3, Format::Mp4, Format::Wav, Format::Ogg, Format::Flac, Format::Webm] {
            for path in [&text, &empty] {
                let error = analyze(path, format).expect_err("garbage is not audio");
                assert!(error.to_string().starts_with("cannot "), "{error}");
            }
            if format != Format::Mp3 {
                // (An MP3 reader may find chance frame syncs in noise; that is not checked here.)
                let error = analyze(&noisy, format).expect_err("noise is not audio");
                assert!(error.to_string().starts_with("cannot "), "{error}");
            }
        }
        let missing = dir.path().join("missing.mp3");
        let error = analyze(&missing, Format::Mp3).expect_err("missing file");
        assert!(matches!(error, AnalyzeError::Open { .. }));
        assert!(error.to_string().starts_with("cannot open the recording "), "{error}");
    }

    #[test]
    fn bucket_counts() {
        assert_eq!(bucket_count(0.0), 200);
        assert_eq!(bucket_count(5.0), 200);
        assert_eq!(bucket_count(30.0), 300);
        assert_eq!(bucket_count(123.45), 1235);
        assert_eq!(bucket_count(3600.0), 4000);
        assert_eq!(bucket_count(f64::NAN), 200);
        assert_eq!(bucket_count(f64::INFINITY), 4000);
        assert_eq!(bucket_count(-1.0), 200);
    }

    #[test]
    fn accumulator_stays_small_and_keeps_time() {
        // 100 Hz: one frame per block, so a long input forces many merges.
        let mut acc = PeakAccumulator::new(100);
        let frames = 1_000_000usize;
        // Stereo; the loud part is the last tenth, on the right channel only.
        let mut samples = Vec::with_capacity(4096 * 2);
        let mut done = 0;
        while done < frames {
            samples.clear();
            for i in done..(done + 4096).min(frames) {
                let loud = i >= frames * 9 / 10;
                samples.extend_from_slice(&[0.01, if loud { -0.8 } else { 0.0 }]);
            }
            done += samples.len() / 2;
            acc.push(&samples, 2);
            assert!(acc.blocks.len() < MAX_BLOCKS);
        }
        let peaks = acc.finish(4000);
        assert_eq!(peaks.len(), 4000);
        assert!(peaks[..3595].iter().all(|&p| p == 3), "quiet part: {:?}", &peaks[3590..3600]);
        assert!(peaks[3605..].iter().all(|&p| p == 255));
        // Fewer blocks than buckets: one peak per block.
        let mut short = PeakAccumulator::new(100);
        short.push(&[0.5; 30], 1);
        assert_eq!(short.finish(200), vec![255; 30]);
        assert!(PeakAccumulator::new(8000).finish(200).is_empty());
    }

    /// One hour of audio in release mode: `cargo test --release -- --ignored --nocapture hour`.
    #[test]
    #[ignore = "slow: generates and decodes an hour of audio"]
    fn hour_long_recordings_are_fast() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tone = "sine=frequency=440:sample_rate=44100:duration=3600";
        let files = [
            (
                generate(tone, &dir.path().join("hour.mp3"), &["-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k"]),
                Format::Mp3,
            ),
            (generate(tone, &dir.path().join("hour.m4a"), &["-ac", "1", "-c:a", "aac", "-b:a", "64k"]), Format::Mp4),
        ];
        for (path, format) in files {
            let started = std::time::Instant::now();
            let analysis = analyze(&path, format).expect("analyse");
            let elapsed = started.elapsed();
            println!("{}: {:.2} s of audio analysed in {elapsed:.2?}", format.label(), analysis.duration_seconds);
            assert!((analysis.duration_seconds - 3600.0).abs() < 0.15);
            assert_eq!(analysis.peaks.len(), 4000);
        }
    }
}
