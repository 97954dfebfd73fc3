//! The notification chime: a tiny WAV made in code and played from a `data:` URL, so the
//! console fetches nothing and the CSP needs only `media-src data:`.

const RATE: u32 = 8000;

/// A two-note chime (660 Hz then 880 Hz, 0.18 s), 8-bit mono PCM, with a short fade on
/// each note so it does not click.
pub fn chime_wav() -> Vec<u8> {
    let note = RATE as usize * 9 / 100;
    let mut samples = Vec::with_capacity(note * 2);
    for freq in [660.0_f32, 880.0] {
        for n in 0..note {
            let phase = (n as f32 * freq / RATE as f32).fract();
            let fade_in = (n as f32 / 80.0).min(1.0);
            let fade_out = ((note - n) as f32 / (note as f32 * 0.6)).min(1.0);
            let v = sine(phase) * 0.35 * fade_in * fade_out;
            samples.push((128.0 + v * 127.0).round().clamp(0.0, 255.0) as u8);
        }
    }
    wav(&samples)
}

/// A parabolic sine over one period (`phase` in 0..1): close enough for a chime, and it keeps
/// libm's `sin` out of the bundle.
fn sine(phase: f32) -> f32 {
    if phase < 0.5 {
        16.0 * phase * (0.5 - phase)
    } else {
        -16.0 * (phase - 0.5) * (1.0 - phase)
    }
}

fn wav(samples: &[u8]) -> Vec<u8> {
    let data_len = samples.len() as u32;
    let mut out = Vec::with_capacity(44 + samples.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&RATE.to_le_bytes()); // bytes per second
    out.extend_from_slice(&1u16.to_le_bytes()); // block align
    out.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(samples);
    out
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The chime as a `data:` URL.
pub fn chime_data_url() -> String {
    format!("data:audio/wav;base64,{}", base64(&chime_wav()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0xfd]), "//79");
    }

    #[test]
    fn the_chime_is_a_small_valid_wav() {
        let wav = chime_wav();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        let riff_len = u32::from_le_bytes([wav[4], wav[5], wav[6], wav[7]]) as usize;
        assert_eq!(riff_len + 8, wav.len());
        let data_len = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]) as usize;
        assert_eq!(data_len + 44, wav.len());
        assert!(wav.len() < 2000, "{} bytes", wav.len());
        // Starts and ends near silence (128), so it does not click.
        assert!(wav[44].abs_diff(128) < 4 && wav[wav.len() - 1].abs_diff(128) < 4);
        assert!(chime_data_url().starts_with("data:audio/wav;base64,UklGR"));
    }
}
