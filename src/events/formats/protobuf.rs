//! Protobuf messages decoded with their writer's descriptor (the registry's `.proto` text,
//! compiled by protox with the files it imports): the message type the frame's indexes name,
//! as its canonical JSON with 64-bit integers as numbers and fields without presence at their
//! defaults. Fields the contract does not know are ignored by it; unset optional ones are absent.

use std::collections::HashMap;

use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, SerializeOptions};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};
use serde_json::Value;

use super::{SchemaError, SchemaText};
use crate::events::DecodeError;

/// The name the schema's own file gets when compiled (its references keep theirs).
const ROOT_FILE: &str = "vitrine_writer_schema.proto";

#[derive(Debug)]
pub struct ProtobufWriter {
    /// The schema's top-level messages, in file order (what the first message index picks).
    messages: Vec<MessageDescriptor>,
}

fn error(e: impl std::fmt::Display) -> DecodeError {
    DecodeError::Binary(format!("protobuf: {e}"))
}

/// The schema's file and the files it references, from memory.
struct InMemory(HashMap<String, String>);

impl FileResolver for InMemory {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.0.get(name) {
            Some(source) => match serialized(source) {
                Some(mut descriptor) => {
                    descriptor.name = Some(name.to_string());
                    Ok(File::from_file_descriptor_proto(descriptor))
                }
                None => File::from_source(name, source),
            },
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// A schema in the registry's serialized form: a base64 `FileDescriptorProto` (what
/// Confluent's serializers register, and what registries answer with `?format=serialized`).
fn serialized(text: &str) -> Option<prost_types::FileDescriptorProto> {
    use base64::Engine;
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    prost_types::FileDescriptorProto::decode(bytes.as_slice()).ok()
}

impl ProtobufWriter {
    pub fn parse(text: &SchemaText) -> Result<Self, SchemaError> {
        let mut files: HashMap<String, String> = text.references.iter().cloned().collect();
        files.insert(ROOT_FILE.to_string(), text.schema.clone());
        let mut resolver = ChainFileResolver::new();
        resolver.add(InMemory(files));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler
            .open_file(ROOT_FILE)
            .map_err(|e| SchemaError::Protobuf(e.to_string()))?;
        let pool: DescriptorPool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(ROOT_FILE)
            .ok_or_else(|| SchemaError::Protobuf("no file compiled".into()))?;
        let messages: Vec<MessageDescriptor> = file.messages().collect();
        if messages.is_empty() {
            return Err(SchemaError::Protobuf("the schema has no message".into()));
        }
        Ok(Self { messages })
    }

    /// The message type at `indexes`: the top-level message, then nested ones.
    fn message(&self, indexes: &[u32]) -> Result<MessageDescriptor, DecodeError> {
        let (&first, nested) = indexes.split_first().unwrap_or((&0, &[]));
        let mut message = self
            .messages
            .get(first as usize)
            .cloned()
            .ok_or_else(|| error(format!("no message at index {first}")))?;
        for &i in nested {
            let child = message.child_messages().nth(i as usize);
            message = child.ok_or_else(|| error(format!("no nested message at index {i}")))?;
        }
        Ok(message)
    }

    /// The message as JSON text.
    pub fn decode(&self, indexes: &[u32], payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let message = DynamicMessage::decode(self.message(indexes)?, payload).map_err(error)?;
        let options = SerializeOptions::new()
            .stringify_64_bit_integers(false)
            .skip_default_fields(false);
        let mut out = Vec::with_capacity(payload.len() * 2 + 64);
        message
            .serialize_with_options(&mut serde_json::Serializer::new(&mut out), &options)
            .map_err(error)?;
        Ok(out)
    }

    /// Encodes a JSON record as the first message of the schema.
    pub fn encode(&self, record: &Value) -> Result<Vec<u8>, String> {
        let options = prost_reflect::DeserializeOptions::new().deny_unknown_fields(false);
        let message =
            DynamicMessage::deserialize_with_options(self.messages[0].clone(), record, &options)
                .map_err(|e| e.to_string())?;
        Ok(message.encode_to_vec())
    }
}
