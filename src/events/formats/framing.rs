//! The frames serializers put around a binary value: Confluent's (magic byte 0 and a 4-byte
//! big-endian schema id, or magic byte 1 and a 16-byte schema GUID; for Protobuf then the
//! zig-zag varint list of message indexes, `[0]` written as the single byte 0), the same ids in
//! a record header instead (`__value_schema_id`, the payload then bare), and Apicurio's legacy
//! 8-byte global id (or its `apicurio.value.globalId` header).

use serde::{Deserialize, Serialize};

use crate::config::registry::Framing;

/// The header Confluent's serializers write the value's schema id into (instead of a prefix).
pub const CONFLUENT_HEADER: &str = "__value_schema_id";
/// The header Apicurio's serializers write the value's global id into.
pub const APICURIO_HEADER: &str = "apicurio.value.globalId";

/// A writer schema as a value names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SchemaRef {
    /// A registry id (Confluent's 4 bytes, Apicurio's content id or legacy global id).
    Id(u64),
    /// A registry GUID (Confluent's magic byte 1), looked up at `/schemas/guids/{guid}`.
    Guid(u128),
}

impl std::fmt::Display for SchemaRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaRef::Id(id) => write!(f, "{id}"),
            SchemaRef::Guid(guid) => {
                let hex = format!("{guid:032x}");
                write!(
                    f,
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                )
            }
        }
    }
}

/// A value taken out of its frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed<'a> {
    pub schema: SchemaRef,
    /// Protobuf: the path of the message type in the schema's file (`[0]`: its first message).
    pub indexes: Vec<u32>,
    pub payload: &'a [u8],
}

/// Why a value's frame could not be read (the record is malformed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("value is shorter than its frame")]
    Short,
    #[error("unknown magic byte {0} (not a schema-registry frame)")]
    Magic(u8),
    #[error("bad message-index list: {0}")]
    Indexes(&'static str),
    #[error("bad schema-id header `{0}`")]
    Header(&'static str),
}

/// Most message indexes accepted (nesting depth of a message type): a hostile frame cannot
/// make a long list.
const MAX_INDEXES: usize = 32;

/// Takes `value` out of its frame; `header` is the schema-id header's value, if the record has
/// one (Confluent's or Apicurio's, after `framing`). `protobuf`: message indexes follow the id.
pub fn unframe<'a>(
    framing: Framing,
    protobuf: bool,
    header: Option<&'a [u8]>,
    value: &'a [u8],
) -> Result<Framed<'a>, FrameError> {
    if let Some(header) = header {
        return match framing {
            Framing::Confluent => {
                let (schema, rest) = schema_id(header, 4)?;
                let indexes = indexes_of(protobuf, rest)?.0;
                Ok(Framed {
                    schema,
                    indexes,
                    payload: value,
                })
            }
            Framing::ApicurioLegacy => {
                let bytes: [u8; 8] = header
                    .try_into()
                    .map_err(|_| FrameError::Header(APICURIO_HEADER))?;
                let (indexes, payload) = indexes_of(protobuf, value)?;
                Ok(Framed {
                    schema: SchemaRef::Id(u64::from_be_bytes(bytes)),
                    indexes,
                    payload,
                })
            }
        };
    }
    let width = match framing {
        Framing::Confluent => 4,
        Framing::ApicurioLegacy => 8,
    };
    let (schema, rest) = schema_id(value, width)?;
    let (indexes, payload) = indexes_of(protobuf, rest)?;
    Ok(Framed {
        schema,
        indexes,
        payload,
    })
}

/// Magic byte 0 and a big-endian id of `width` bytes, or magic byte 1 and a GUID.
fn schema_id(bytes: &[u8], width: usize) -> Result<(SchemaRef, &[u8]), FrameError> {
    let (&magic, rest) = bytes.split_first().ok_or(FrameError::Short)?;
    let width = match magic {
        0 => width,
        1 => 16,
        other => return Err(FrameError::Magic(other)),
    };
    if rest.len() < width {
        return Err(FrameError::Short);
    }
    let (id, rest) = rest.split_at(width);
    let number = id.iter().fold(0u128, |n, &b| (n << 8) | u128::from(b));
    let schema = if magic == 1 {
        SchemaRef::Guid(number)
    } else {
        SchemaRef::Id(number as u64)
    };
    Ok((schema, rest))
}

fn indexes_of(protobuf: bool, bytes: &[u8]) -> Result<(Vec<u32>, &[u8]), FrameError> {
    if !protobuf {
        return Ok((Vec::new(), bytes));
    }
    let (count, mut rest) = zigzag(bytes)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    let count = usize::try_from(count)
        .ok()
        .filter(|&n| n <= MAX_INDEXES)
        .ok_or(FrameError::Indexes("length out of range"))?;
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        let (index, after) = zigzag(rest)?;
        indexes.push(u32::try_from(index).map_err(|_| FrameError::Indexes("negative index"))?);
        rest = after;
    }
    Ok((indexes, rest))
}

/// One zig-zag varint (at most 10 bytes).
fn zigzag(bytes: &[u8]) -> Result<(i64, &[u8]), FrameError> {
    let mut value = 0u64;
    for (n, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * n);
        if byte & 0x80 == 0 {
            let decoded = ((value >> 1) as i64) ^ -((value & 1) as i64);
            return Ok((decoded, &bytes[n + 1..]));
        }
    }
    Err(FrameError::Indexes("unterminated varint"))
}

/// Writes Confluent's frame for `schema_id` (and, for Protobuf, `indexes`) before a payload.
pub fn confluent_prefix(schema_id: u32, indexes: Option<&[u32]>) -> Vec<u8> {
    let mut out = vec![0];
    out.extend_from_slice(&schema_id.to_be_bytes());
    if let Some(indexes) = indexes {
        if indexes == [0] {
            out.push(0);
        } else {
            put_zigzag(&mut out, indexes.len() as i64);
            for &i in indexes {
                put_zigzag(&mut out, i64::from(i));
            }
        }
    }
    out
}

fn put_zigzag(out: &mut Vec<u8>, value: i64) {
    let mut v = ((value << 1) ^ (value >> 63)) as u64;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confluent_avro_and_protobuf_frames() {
        let avro = [0, 0, 0, 1, 2, 9, 9];
        let framed = unframe(Framing::Confluent, false, None, &avro).unwrap();
        assert_eq!(framed.schema, SchemaRef::Id(258));
        assert_eq!(framed.payload, &[9, 9]);
        // The single byte 0 is the list [0]; a list [1, 2] is count 2 then 1, 2 zig-zagged.
        let single = [0, 0, 0, 0, 7, 0, 42];
        let framed = unframe(Framing::Confluent, true, None, &single).unwrap();
        assert_eq!((framed.indexes, framed.payload), (vec![0], &[42][..]));
        let nested = [0, 0, 0, 0, 7, 4, 2, 4, 42];
        let framed = unframe(Framing::Confluent, true, None, &nested).unwrap();
        assert_eq!((framed.indexes, framed.payload), (vec![1, 2], &[42][..]));
        let mut written = confluent_prefix(7, Some(&[1, 2]));
        written.push(42);
        assert_eq!(written, nested);
    }

    #[test]
    fn guids_headers_and_apicurio_ids() {
        let mut guid = vec![1];
        guid.extend_from_slice(&[0xab; 16]);
        guid.push(5);
        let framed = unframe(Framing::Confluent, false, None, &guid).unwrap();
        assert_eq!(
            framed.schema,
            SchemaRef::Guid(u128::from_be_bytes([0xab; 16]))
        );
        assert_eq!(framed.schema.to_string().len(), 36);
        // In a header, the value is the bare payload (Protobuf's indexes are in the header).
        let header = [0, 0, 0, 0, 3, 0];
        let framed = unframe(Framing::Confluent, true, Some(&header), &[1, 2]).unwrap();
        assert_eq!(
            (framed.schema, framed.payload),
            (SchemaRef::Id(3), &[1, 2][..])
        );
        let legacy = [0, 0, 0, 0, 0, 0, 0, 1, 0, 8];
        let framed = unframe(Framing::ApicurioLegacy, false, None, &legacy).unwrap();
        assert_eq!(
            (framed.schema, framed.payload),
            (SchemaRef::Id(256), &[8][..])
        );
        let global = 77u64.to_be_bytes();
        let framed = unframe(Framing::ApicurioLegacy, false, Some(&global), &[8]).unwrap();
        assert_eq!(framed.schema, SchemaRef::Id(77));
    }

    #[test]
    fn broken_frames_are_typed_errors() {
        assert_eq!(
            unframe(Framing::Confluent, false, None, &[]),
            Err(FrameError::Short)
        );
        assert_eq!(
            unframe(Framing::Confluent, false, None, &[0, 1]),
            Err(FrameError::Short)
        );
        assert_eq!(
            unframe(Framing::Confluent, false, None, &[b'{', 1, 2, 3, 4]),
            Err(FrameError::Magic(b'{'))
        );
        let unterminated = [0, 0, 0, 0, 1, 0x80, 0x80];
        assert!(unframe(Framing::Confluent, true, None, &unterminated).is_err());
        let negative = [0, 0, 0, 0, 1, 2, 1];
        assert_eq!(
            unframe(Framing::Confluent, true, None, &negative),
            Err(FrameError::Indexes("negative index"))
        );
        let long = [0, 0, 0, 0, 1, 0xfe, 0x7f];
        assert_eq!(
            unframe(Framing::Confluent, true, None, &long),
            Err(FrameError::Indexes("length out of range"))
        );
        assert!(unframe(Framing::ApicurioLegacy, false, Some(&[1, 2]), &[]).is_err());
    }
}
