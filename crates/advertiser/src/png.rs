//! The compressed pixel data of a PNG, checked without decoding the image:
//! it must inflate to exactly the bytes its header's size calls for. A
//! small file whose data inflates far past that (a decompression bomb) is
//! refused after at most that many bytes, in a fixed scratch buffer.

use flate2::{Decompress, FlushDecompress, Status};

/// Why a PNG's data is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PngDataError {
    #[error("the chunk structure is damaged (a length or CRC is wrong)")]
    Chunks,
    #[error("the header is not a valid IHDR")]
    Header,
    #[error("the image data is not a valid zlib stream")]
    Stream,
    #[error("the image data holds more than the declared size")]
    TooMuchData,
    #[error("the image data ends before the declared size")]
    TooLittleData,
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// The header fields that fix the size of the raw (filtered) data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    width: u64,
    height: u64,
    bits_per_pixel: u64,
    interlaced: bool,
}

impl Header {
    fn parse(data: &[u8]) -> Result<Self, PngDataError> {
        let [
            w0,
            w1,
            w2,
            w3,
            h0,
            h1,
            h2,
            h3,
            depth,
            color,
            _compression,
            _filter,
            interlace,
        ] = *data
        else {
            return Err(PngDataError::Header);
        };
        // Samples per pixel of each color type, at the depths it allows.
        let channels = match (color, depth) {
            (0, 1 | 2 | 4 | 8 | 16) | (3, 1 | 2 | 4 | 8) => 1,
            (4, 8 | 16) => 2,
            (2, 8 | 16) => 3,
            (6, 8 | 16) => 4,
            _ => return Err(PngDataError::Header),
        };
        if interlace > 1 {
            return Err(PngDataError::Header);
        }
        Ok(Self {
            width: u64::from(u32::from_be_bytes([w0, w1, w2, w3])),
            height: u64::from(u32::from_be_bytes([h0, h1, h2, h3])),
            bits_per_pixel: u64::from(depth) * channels,
            interlaced: interlace == 1,
        })
    }

    /// Bytes of filtered scanlines: each row is a filter byte and its
    /// pixels; an interlaced image is seven smaller images (Adam7).
    fn raw_len(&self) -> u64 {
        let rows = |width: u64, height: u64| {
            if width == 0 || height == 0 {
                0
            } else {
                height * (1 + (width * self.bits_per_pixel).div_ceil(8))
            }
        };
        if !self.interlaced {
            return rows(self.width, self.height);
        }
        // (column start, row start, column step, row step) of each pass.
        const PASSES: [(u64, u64, u64, u64); 7] = [
            (0, 0, 8, 8),
            (4, 0, 8, 8),
            (0, 4, 4, 8),
            (2, 0, 4, 4),
            (0, 2, 2, 4),
            (1, 0, 2, 2),
            (0, 1, 1, 2),
        ];
        PASSES
            .iter()
            .map(|&(x0, y0, dx, dy)| {
                let count = |size: u64, start: u64, step: u64| (size + step - 1 - start) / step;
                rows(
                    count(self.width, x0, dx).min(self.width),
                    count(self.height, y0, dy).min(self.height),
                )
            })
            .sum()
    }
}

/// Checks that the PNG's `IDAT` data inflates to exactly the size its
/// `IHDR` declares (the caller has already bounded width and height).
pub fn check_data(bytes: &[u8]) -> Result<(), PngDataError> {
    let rest = bytes.strip_prefix(&SIGNATURE).ok_or(PngDataError::Chunks)?;
    let mut header = None;
    let mut inflater = Inflater::new();
    let chunks = Chunks { rest };
    for chunk in chunks {
        let (kind, data) = chunk?;
        match &kind {
            b"IHDR" if header.is_none() => {
                let parsed = Header::parse(data)?;
                inflater.expected = parsed.raw_len();
                header = Some(parsed);
            }
            b"IHDR" => return Err(PngDataError::Header),
            b"IDAT" if header.is_some() => inflater.feed(data)?,
            b"IDAT" => return Err(PngDataError::Chunks),
            b"IEND" => break,
            _ => {}
        }
    }
    if header.is_none() {
        return Err(PngDataError::Header);
    }
    inflater.finish()
}

/// The chunks of a PNG after its signature: `(type, data)`.
struct Chunks<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Result<([u8; 4], &'a [u8]), PngDataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let chunk = (|| {
            let length = self.rest.get(..4)?;
            let length = u32::from_be_bytes(length.try_into().ok()?) as usize;
            let kind: [u8; 4] = self.rest.get(4..8)?.try_into().ok()?;
            let data = self.rest.get(8..8usize.checked_add(length)?)?;
            // The CRC of the type and data follows the data.
            let crc = self.rest.get(8 + length..12 + length)?;
            let mut computed = flate2::Crc::new();
            computed.update(&kind);
            computed.update(data);
            if computed.sum().to_be_bytes() != crc {
                return None;
            }
            Some((kind, data, self.rest.get(12 + length..)?))
        })();
        match chunk {
            Some((kind, data, after)) => {
                self.rest = after;
                Some(Ok((kind, data)))
            }
            None => {
                self.rest = &[];
                Some(Err(PngDataError::Chunks))
            }
        }
    }
}

/// Inflates the zlib stream split across `IDAT` chunks, counting what it
/// yields and keeping none of it.
struct Inflater {
    stream: Decompress,
    scratch: Box<[u8]>,
    expected: u64,
    ended: bool,
}

impl Inflater {
    fn new() -> Self {
        Self {
            stream: Decompress::new(true),
            scratch: vec![0; 64 * 1024].into_boxed_slice(),
            expected: 0,
            ended: false,
        }
    }

    fn feed(&mut self, mut input: &[u8]) -> Result<(), PngDataError> {
        // Bytes after the end of the zlib stream inflate to nothing;
        // decoders skip them, as some encoders leave them.
        while !input.is_empty() && !self.ended {
            let before = self.stream.total_in();
            let status = self
                .stream
                .decompress(input, &mut self.scratch, FlushDecompress::None)
                .map_err(|_| PngDataError::Stream)?;
            let consumed = usize::try_from(self.stream.total_in() - before).unwrap_or(usize::MAX);
            input = input.get(consumed..).unwrap_or_default();
            if self.stream.total_out() > self.expected {
                return Err(PngDataError::TooMuchData);
            }
            match status {
                Status::StreamEnd => self.ended = true,
                Status::Ok => {}
                // No progress with input left: the stream is damaged.
                Status::BufError if consumed == 0 => return Err(PngDataError::Stream),
                Status::BufError => {}
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<(), PngDataError> {
        // Output still held back by the inflater.
        while !self.ended {
            let before = self.stream.total_out();
            let status = self
                .stream
                .decompress(&[], &mut self.scratch, FlushDecompress::Finish)
                .map_err(|_| PngDataError::Stream)?;
            if self.stream.total_out() > self.expected {
                return Err(PngDataError::TooMuchData);
            }
            match status {
                Status::StreamEnd => self.ended = true,
                _ if self.stream.total_out() == before => break,
                _ => {}
            }
        }
        if self.stream.total_out() < self.expected || !self.ended {
            return Err(PngDataError::TooLittleData);
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;

    use super::*;

    /// A PNG with this IHDR and `raw` deflated, split over three IDATs.
    pub fn png(
        width: u32,
        height: u32,
        depth: u8,
        color: u8,
        interlace: u8,
        raw: &[u8],
    ) -> Vec<u8> {
        let mut bytes = SIGNATURE.to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[depth, color, 0, 0, interlace]);
        chunk(&mut bytes, b"IHDR", &ihdr);
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        encoder.write_all(raw).expect("deflate");
        let deflated = encoder.finish().expect("deflate");
        for part in deflated.chunks(deflated.len().div_ceil(3).max(1)) {
            chunk(&mut bytes, b"IDAT", part);
        }
        chunk(&mut bytes, b"IEND", &[]);
        bytes
    }

    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }

    #[test]
    fn data_of_exactly_the_declared_size_passes() {
        // 3×2 RGBA8: two rows of 1 + 12 bytes.
        assert_eq!(check_data(&png(3, 2, 8, 6, 0, &[0; 26])), Ok(()));
        // 5×1 gray, 1 bit: 1 + 1 byte.
        assert_eq!(check_data(&png(5, 1, 1, 0, 0, &[0; 2])), Ok(()));
        // The 1×1 upload fixture.
        assert_eq!(check_data(crate::upload::tests::PNG), Ok(()));
    }

    #[test]
    fn interlaced_sizes_follow_adam7() {
        // 8×8 gray8 interlaced: passes of 1×1, 1×1, 2×1, 2×2, 4×2, 4×4, 8×4.
        let raw =
            (1 + 1) + (1 + 1) + (1 + 2) + 2 * (1 + 2) + 2 * (1 + 4) + 4 * (1 + 4) + 4 * (1 + 8);
        assert_eq!(check_data(&png(8, 8, 8, 0, 1, &vec![0; raw])), Ok(()));
        assert_eq!(
            check_data(&png(8, 8, 8, 0, 1, &vec![0; raw + 1])),
            Err(PngDataError::TooMuchData)
        );
        // 1×1 interlaced: only the first pass has pixels.
        assert_eq!(check_data(&png(1, 1, 8, 2, 1, &[0; 4])), Ok(()));
    }

    #[test]
    fn a_small_file_inflating_to_far_more_is_refused() {
        // 16×16 RGBA declared; 64 MiB of zeros deflate to about 64 KiB.
        let bomb = png(16, 16, 8, 6, 0, &vec![0; 64 * 1024 * 1024]);
        assert!(bomb.len() < 100 * 1024, "{}", bomb.len());
        assert_eq!(check_data(&bomb), Err(PngDataError::TooMuchData));
    }

    #[test]
    fn short_or_damaged_data_is_refused() {
        assert_eq!(
            check_data(&png(3, 2, 8, 6, 0, &[0; 25])),
            Err(PngDataError::TooLittleData)
        );
        let mut damaged = png(3, 2, 8, 6, 0, &[0; 26]);
        let idat = damaged.windows(4).position(|w| w == b"IDAT").expect("idat");
        damaged[idat + 4] ^= 0xFF;
        assert!(check_data(&damaged).is_err());
        assert_eq!(
            check_data(&png(3, 2, 7, 6, 0, &[0; 26])),
            Err(PngDataError::Header)
        );
        let mut cut = png(3, 2, 8, 6, 0, &[0; 26]);
        cut.truncate(cut.len() - 20);
        assert!(check_data(&cut).is_err());
        assert_eq!(check_data(b"not a png"), Err(PngDataError::Chunks));
    }
}
