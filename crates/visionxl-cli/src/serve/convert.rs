//! `output_format` / `output_compression`: the image re-encoded when the caller wants another
//! format than the one the service returned (Vision XL on 1min.ai returns WebP or PNG).

use std::io::Cursor;

use axum::body::Bytes;
use image::ImageFormat;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;

use super::request::OutputFormat;

/// The JPEG quality when `output_compression` is not given (OpenAI's default is 100).
pub const DEFAULT_JPEG_QUALITY: u8 = 90;

/// The format of these bytes, when it is one of ours.
pub fn detect(bytes: &[u8]) -> Option<OutputFormat> {
    match image::guess_format(bytes).ok()? {
        ImageFormat::Png => Some(OutputFormat::Png),
        ImageFormat::Jpeg => Some(OutputFormat::Jpeg),
        ImageFormat::WebP => Some(OutputFormat::Webp),
        _ => None,
    }
}

/// The format of an image URL, from its path's extension (WebP when it has none we know).
pub fn from_url(url: &str) -> OutputFormat {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit_once('.')
        .and_then(|(_, ext)| OutputFormat::parse(ext))
        .unwrap_or(OutputFormat::Webp)
}

/// The image in `want` (unchanged when it already is); with the format it now holds.
/// `compression` (0..=100) is the JPEG quality; WebP is encoded losslessly (the `image` crate
/// has no lossy WebP encoder), so it ignores it.
pub fn convert(
    bytes: Bytes,
    want: Option<OutputFormat>,
    compression: Option<u8>,
) -> Result<(Bytes, OutputFormat), String> {
    let have = detect(&bytes);
    let Some(want) = want else {
        return Ok((bytes, have.unwrap_or(OutputFormat::Webp)));
    };
    if have == Some(want) && !(want == OutputFormat::Jpeg && compression.is_some()) {
        return Ok((bytes, want));
    }
    let img = image::load_from_memory(&bytes)
        .map_err(|e| format!("cannot decode the image the service returned: {e}"))?;
    let mut out = Cursor::new(Vec::new());
    let result = match want {
        OutputFormat::Png => img.write_with_encoder(PngEncoder::new(&mut out)),
        OutputFormat::Webp => img.write_with_encoder(WebPEncoder::new_lossless(&mut out)),
        OutputFormat::Jpeg => {
            // JPEG has no alpha channel.
            let rgb = image::DynamicImage::ImageRgb8(img.to_rgb8());
            let q = compression.unwrap_or(DEFAULT_JPEG_QUALITY).clamp(1, 100);
            rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, q))
        }
    };
    result.map_err(|e| format!("cannot encode the image as {}: {e}", want.as_str()))?;
    Ok((Bytes::from(out.into_inner()), want))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webp() -> Bytes {
        let img = image::RgbaImage::from_pixel(8, 6, image::Rgba([200, 10, 10, 255]));
        let mut out = Cursor::new(Vec::new());
        image::DynamicImage::ImageRgba8(img)
            .write_with_encoder(WebPEncoder::new_lossless(&mut out))
            .unwrap();
        Bytes::from(out.into_inner())
    }

    #[test]
    fn converts_to_each_format_and_keeps_the_size() {
        for f in [OutputFormat::Png, OutputFormat::Jpeg, OutputFormat::Webp] {
            let (b, got) = convert(webp(), Some(f), Some(50)).unwrap();
            assert_eq!(got, f);
            assert_eq!(detect(&b), Some(f));
            let img = image::load_from_memory(&b).unwrap();
            assert_eq!((img.width(), img.height()), (8, 6));
        }
        let (b, f) = convert(webp(), None, None).unwrap();
        assert_eq!((b, f), (webp(), OutputFormat::Webp), "untouched");
        assert!(convert(Bytes::from_static(b"nope"), Some(OutputFormat::Png), None).is_err());
    }

    #[test]
    fn formats_of_urls() {
        assert_eq!(from_url("https://a/b/c.png?X-Amz=1.jpg"), OutputFormat::Png);
        assert_eq!(from_url("https://a/b/c.jpg"), OutputFormat::Jpeg);
        assert_eq!(from_url("https://a/b/c"), OutputFormat::Webp);
    }
}
