public import Foundation

/// One TensorBoard `Event` (tensorboard/compat/proto/event.proto) as GeoLens writes and reads it:
/// the file version header, a summary of scalars (`simple_value`) and PNG images, or a session
/// log that tells TensorBoard a run restarted at a step.
public struct TensorBoardEvent: Sendable, Equatable {
    /// A summary value: `Summary.Value` with `simple_value` or `image`.
    public enum Value: Sendable, Equatable {
        case scalar(Float)
        /// `Summary.Image`: PNG bytes, their size and colour space (3 RGB, 4 RGBA).
        case image(png: Data, width: Int, height: Int, colorspace: Int)
        /// A value kind GeoLens does not read (histograms, tensors, audio).
        case other
    }

    public enum Content: Sendable, Equatable {
        case fileVersion(String)
        case summary([(tag: String, value: Value)])
        /// `SessionLog` with its status (1 START, 2 STOP, 3 CHECKPOINT) and message.
        case sessionLog(status: Int, message: String)
        case other

        public static func == (a: Content, b: Content) -> Bool {
            switch (a, b) {
            case let (.fileVersion(x), .fileVersion(y)): x == y
            case let (.summary(x), .summary(y)): x.count == y.count && zip(x, y).allSatisfy { $0.tag == $1.tag && $0.value == $1.value }
            case let (.sessionLog(s, m), .sessionLog(t, n)): s == t && m == n
            case (.other, .other): true
            default: false
            }
        }
    }

    public var wallTime: Double
    public var step: Int64
    public var content: Content
    /// `source_metadata.writer`: the program that wrote the file (set on the header event).
    public var writer: String?

    public init(wallTime: Double, step: Int64, content: Content, writer: String? = nil) {
        self.wallTime = wallTime
        self.step = step
        self.content = content
        self.writer = writer
    }

    /// The header every event file starts with.
    public static let fileVersion = "brain.Event:2"

    /// The `Event` message bytes.
    public func encoded() -> Data {
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.int(2, step)
        switch content {
        case .fileVersion(let version):
            event.string(3, version, always: true)
        case .summary(let values):
            var summary = ProtobufWriter()
            for (tag, value) in values {
                var entry = ProtobufWriter()
                entry.string(1, tag)
                switch value {
                case .scalar(let number):
                    entry.float(2, number)
                case let .image(png, width, height, colorspace):
                    var image = ProtobufWriter()
                    image.int(1, Int64(height))
                    image.int(2, Int64(width))
                    image.int(3, Int64(colorspace))
                    image.bytes(4, png)
                    entry.bytes(4, image.data, always: true)
                case .other:
                    break
                }
                summary.bytes(1, entry.data, always: true)
            }
            event.bytes(5, summary.data, always: true)
        case let .sessionLog(status, message):
            var log = ProtobufWriter()
            log.int(1, Int64(status))
            log.string(3, message)
            event.bytes(7, log.data, always: true)
        case .other:
            break
        }
        if let writer {
            var metadata = ProtobufWriter()
            metadata.string(1, writer)
            event.bytes(10, metadata.data, always: true)
        }
        return event.data
    }

    /// Decodes an `Event` message; `source` names the file in errors.
    public init(decoding data: Data, source: String) throws(TrainingError) {
        var reader = ProtobufReader(data, source: source)
        var wallTime = 0.0, step: Int64 = 0, content = Content.other, writer: String?
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .fixed64(let bits)): wallTime = Double(bitPattern: bits)
            case (2, .varint(let v)): step = Int64(bitPattern: v)
            case (3, .bytes(let bytes)): content = .fileVersion(String(decoding: bytes, as: UTF8.self))
            case (5, .bytes(let bytes)): content = .summary(try Self.summary(bytes, source: source))
            case (7, .bytes(let bytes)):
                var log = ProtobufReader(bytes, source: source)
                var status = 0, message = ""
                while let (f, v) = try log.next() {
                    if f == 1, case .varint(let s) = v { status = Int(s) }
                    if f == 3, case .bytes(let m) = v { message = String(decoding: m, as: UTF8.self) }
                }
                content = .sessionLog(status: status, message: message)
            case (10, .bytes(let bytes)):
                var metadata = ProtobufReader(bytes, source: source)
                writer = ""
                while let (f, v) = try metadata.next() {
                    if f == 1, case .bytes(let w) = v { writer = String(decoding: w, as: UTF8.self) }
                }
            default: break
            }
        }
        self.init(wallTime: wallTime, step: step, content: content, writer: writer)
    }

    private static func summary(_ data: Data, source: String) throws(TrainingError) -> [(tag: String, value: Value)] {
        var reader = ProtobufReader(data, source: source)
        var values: [(tag: String, value: Value)] = []
        while let (field, value) = try reader.next() {
            guard field == 1, case .bytes(let bytes) = value else { continue }
            var entry = ProtobufReader(bytes, source: source)
            var tag = "", decoded = Value.other
            while let (f, v) = try entry.next() {
                switch (f, v) {
                case (1, .bytes(let t)): tag = String(decoding: t, as: UTF8.self)
                case (2, .fixed32(let bits)): decoded = .scalar(Float(bitPattern: bits))
                case (4, .bytes(let imageBytes)):
                    var image = ProtobufReader(imageBytes, source: source)
                    var (height, width, colorspace, png) = (0, 0, 0, Data())
                    while let (g, w) = try image.next() {
                        switch (g, w) {
                        case (1, .varint(let h)): height = Int(h)
                        case (2, .varint(let x)): width = Int(x)
                        case (3, .varint(let c)): colorspace = Int(c)
                        case (4, .bytes(let b)): png = Data(b)
                        default: break
                        }
                    }
                    decoded = .image(png: png, width: width, height: height, colorspace: colorspace)
                default: break
                }
            }
            values.append((tag, decoded))
        }
        return values
    }
}
