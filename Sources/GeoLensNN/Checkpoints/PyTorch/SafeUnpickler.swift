import Foundation

/// A pickle interpreter that builds values and never runs code.
///
/// It implements the binary opcodes of protocols 2-5 that PyTorch's `weights_only` unpickler
/// accepts. GLOBAL and STACK_GLOBAL resolve names against `AllowedGlobal`, so a reference to
/// anything else (`os.system`, `builtins.eval`, ...) throws `.forbiddenGlobal` naming it as soon
/// as it is read; REDUCE, NEWOBJ and BUILD only combine inert values. Text-protocol opcodes and
/// the extension registry are refused. Every read is bounds-checked, every pop checks the stack,
/// so truncated or corrupt input throws instead of crashing.
struct SafeUnpickler {
    let bytes: [UInt8]
    var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    /// Every value popped, kept until `dismantle` so that none is freed recursively mid-stream.
    private var popped: [PickleValue] = []
    /// The checkpoint file and the archive entry, for error messages.
    let file: URL?
    let entry: String

    init(_ bytes: [UInt8], file: URL?, entry: String) {
        self.bytes = bytes
        self.file = file
        self.entry = entry
    }

    /// Runs the opcode stream to STOP and returns the value left on the stack.
    mutating func load() throws(CheckpointError) -> PickleValue {
        while true {
            let at = position
            let opcode = try readByte(at)
            if opcode == 0x2E { // STOP
                return try pop(at, "STOP")
            }
            try execute(opcode, at: at)
        }
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private mutating func execute(_ opcode: UInt8, at: Int) throws(CheckpointError) {
        switch opcode {
        case 0x80: _ = try readByte(at)                                    // PROTO
        case 0x95: _ = try readInteger(8, at)                              // FRAME (length ignored)
        case 0x28: marks.append(stack.count)                               // MARK
        case 0x30: _ = try pop(at, "POP")                                  // POP
        case 0x31: _ = try popMark(at)                                     // POP_MARK
        case 0x32: stack.append(try top(at))                               // DUP
        case 0x4E: stack.append(.none)                                     // NONE
        case 0x88: stack.append(.bool(true))                               // NEWTRUE
        case 0x89: stack.append(.bool(false))                              // NEWFALSE
        case 0x4A: stack.append(.int(Int64(Int32(truncatingIfNeeded: try readInteger(4, at)))))  // BININT
        case 0x4B: stack.append(.int(Int64(try readInteger(1, at))))       // BININT1
        case 0x4D: stack.append(.int(Int64(try readInteger(2, at))))       // BININT2
        case 0x8A: stack.append(try readLong(try readInteger(1, at), at))  // LONG1
        case 0x8B: stack.append(try readLong(try readInteger(4, at), at))  // LONG4
        case 0x47:                                                         // BINFLOAT (big-endian)
            let raw = try readSlice(8, at)
            stack.append(.float(Double(bitPattern: raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
        case 0x58: stack.append(.string(try readText(try readInteger(4, at), at)))   // BINUNICODE
        case 0x8C: stack.append(.string(try readText(try readInteger(1, at), at)))   // SHORT_BINUNICODE
        case 0x8D: stack.append(.string(try readText(try readInteger(8, at), at)))   // BINUNICODE8
        case 0x55, 0x54:                                                   // SHORT_BINSTRING, BINSTRING
            let raw = try readSlice(try readInteger(opcode == 0x55 ? 1 : 4, at), at)
            stack.append(.string(String(decoding: raw, as: UTF8.self)))
        case 0x43: stack.append(.bytes(try readSlice(try readInteger(1, at), at)))   // SHORT_BINBYTES
        case 0x42: stack.append(.bytes(try readSlice(try readInteger(4, at), at)))   // BINBYTES
        case 0x8E, 0x96: stack.append(.bytes(try readSlice(try readInteger(8, at), at)))  // BINBYTES8, BYTEARRAY8
        case 0x29: stack.append(.tuple(PickleList()))                      // EMPTY_TUPLE
        case 0x85, 0x86, 0x87:                                             // TUPLE1, TUPLE2, TUPLE3
            let n = Int(opcode - 0x84)
            guard stack.count >= n else { throw underflow(at, "TUPLE\(n)") }
            let items = Array(stack.suffix(n))
            stack.removeLast(n)
            stack.append(.tuple(PickleList(items)))
        case 0x74: stack.append(.tuple(PickleList(try popMark(at))))       // TUPLE
        case 0x5D: stack.append(.list(PickleList()))                       // EMPTY_LIST
        case 0x6C: stack.append(.list(PickleList(try popMark(at))))        // LIST
        case 0x7D: stack.append(.dict(PickleDict()))                       // EMPTY_DICT
        case 0x64:                                                         // DICT
            let dict = PickleDict()
            try setItems(dict, try popMark(at), at)
            stack.append(.dict(dict))
        case 0x8F: stack.append(.list(PickleList()))                       // EMPTY_SET
        case 0x91: stack.append(.list(PickleList(try popMark(at))))        // FROZENSET
        case 0x61:                                                         // APPEND
            let item = try pop(at, "APPEND")
            try list(at, "APPEND").items.append(item)
        case 0x65, 0x90:                                                   // APPENDS, ADDITEMS
            let items = try popMark(at)
            try list(at, "APPENDS").items.append(contentsOf: items)
        case 0x73:                                                         // SETITEM
            let value = try pop(at, "SETITEM"), key = try pop(at, "SETITEM")
            try dict(at, "SETITEM").set(key, value)
        case 0x75:                                                         // SETITEMS
            let items = try popMark(at)
            try setItems(try dict(at, "SETITEMS"), items, at)
        case 0x71: memo[try readInteger(1, at)] = try top(at)              // BINPUT
        case 0x72: memo[try readInteger(4, at)] = try top(at)              // LONG_BINPUT
        case 0x94: memo[memo.count] = try top(at)                          // MEMOIZE
        case 0x68, 0x6A:                                                   // BINGET, LONG_BINGET
            let index = try readInteger(opcode == 0x68 ? 1 : 4, at)
            guard let value = memo[index] else { throw corrupt(at, "memo entry \(index) is read before it is written") }
            stack.append(value)
        case 0x63:                                                         // GLOBAL
            let module = try readLine(at), name = try readLine(at)
            stack.append(.global(try resolve(module, name)))
        case 0x93:                                                         // STACK_GLOBAL
            guard case .string(let name) = try pop(at, "STACK_GLOBAL"),
                  case .string(let module) = try pop(at, "STACK_GLOBAL") else {
                throw corrupt(at, "STACK_GLOBAL expects two strings")
            }
            stack.append(.global(try resolve(module, name)))
        case 0x52:                                                         // REDUCE
            let arguments = try pop(at, "REDUCE"), callable = try pop(at, "REDUCE")
            stack.append(try call(callable, arguments, at))
        case 0x81:                                                         // NEWOBJ
            let arguments = try pop(at, "NEWOBJ"), type = try pop(at, "NEWOBJ")
            stack.append(try call(type, arguments, at))
        case 0x92:                                                         // NEWOBJ_EX
            _ = try pop(at, "NEWOBJ_EX")
            let arguments = try pop(at, "NEWOBJ_EX"), type = try pop(at, "NEWOBJ_EX")
            stack.append(try call(type, arguments, at))
        case 0x62:                                                         // BUILD
            let state = try pop(at, "BUILD")
            if case .object(let object) = try top(at) { object.state = state }
            // Dicts (OrderedDict `_metadata`) and tensors carry state GeoLens does not need.
        case 0x51:                                                         // BINPERSID
            stack.append(try persistentLoad(try pop(at, "BINPERSID"), at))
        case 0x69:                                                         // INST: check the name first
            let module = try readLine(at), name = try readLine(at)
            _ = try resolve(module, name)
            throw unsupported(opcode, at)
        default:
            throw unsupported(opcode, at)
        }
    }

    /// Empties the stack, the memo and `extra` (the loaded value, once the caller is done with it)
    /// iteratively; see `PickleValue.dismantle(_:)`. Call it once, whether `load()` threw or not.
    mutating func dismantle(_ extra: PickleValue?) {
        PickleValue.dismantle(stack + popped + Array(memo.values) + (extra.map { [$0] } ?? []))
        stack = []
        popped = []
        memo = [:]
    }

    // MARK: Values

    private func resolve(_ module: String, _ name: String) throws(CheckpointError) -> AllowedGlobal {
        guard let global = AllowedGlobal(module: module, name: name) else {
            throw CheckpointError(.forbiddenGlobal, file: file,
                                  "\(entry) references the Python global \(module).\(name), which is not among the "
                                  + "globals a state dict needs; it was refused and nothing was executed. Load checkpoints "
                                  + "only from sources you trust, or re-save the weights with torch.save(model.state_dict(), path) "
                                  + "or as .safetensors")
        }
        return global
    }

    private func call(_ callable: PickleValue, _ arguments: PickleValue, _ at: Int) throws(CheckpointError) -> PickleValue {
        guard case .global(let global) = callable else {
            throw corrupt(at, "calls a \(callable.kind), not an allowed global")
        }
        guard let args = arguments.sequence else { throw corrupt(at, "calls \(global.qualifiedName) with a \(arguments.kind)") }
        let position = at
        return try global.apply(args) { [self] message in corrupt(position, message) }
    }

    /// Resolves `('storage', storage_type, key, location, numel)` to a storage reference.
    private func persistentLoad(_ id: PickleValue, _ at: Int) throws(CheckpointError) -> PickleValue {
        guard case .tuple(let tuple) = id, case let fields = tuple.items, fields.count >= 5, case .string("storage") = fields[0],
              case .string(let key) = fields[2], let count = fields[4].intValue, count >= 0,
              count <= TorchTensorReference.maximumElements else {
            throw corrupt(at, "has a persistent id that is not a torch storage record")
        }
        let dtype: CheckpointDType
        switch fields[1] {
        case .global(.storageType(let d)), .global(.dtype(let d)): dtype = d
        default: throw corrupt(at, "storage \(key) has type \(fields[1].kind), not a torch storage type")
        }
        return .storage(TorchStorageReference(key: key, dtype: dtype, elementCount: count))
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue], _ at: Int) throws(CheckpointError) {
        guard items.count % 2 == 0 else { throw corrupt(at, "SETITEMS has an odd number of items") }
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
    }

    // MARK: Stack

    private mutating func pop(_ at: Int, _ op: String) throws(CheckpointError) -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else { throw underflow(at, op) }
        popped.append(value)
        return value
    }

    private func top(_ at: Int) throws(CheckpointError) -> PickleValue {
        guard let value = stack.last else { throw underflow(at, "a memo or DUP opcode") }
        return value
    }

    private mutating func popMark(_ at: Int) throws(CheckpointError) -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw corrupt(at, "uses a MARK that was never set") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        popped.append(contentsOf: items)
        return items
    }

    private func list(_ at: Int, _ op: String) throws(CheckpointError) -> PickleList {
        guard case .list(let list) = try top(at) else { throw corrupt(at, "\(op) on a \(stack.last?.kind ?? "nothing"), not a list") }
        return list
    }

    private func dict(_ at: Int, _ op: String) throws(CheckpointError) -> PickleDict {
        guard case .dict(let dict) = try top(at) else { throw corrupt(at, "\(op) on a \(stack.last?.kind ?? "nothing"), not a dict") }
        return dict
    }

    // MARK: Errors

    func corrupt(_ at: Int, _ what: String) -> CheckpointError {
        .corrupt(file, "\(entry) at byte \(at) \(what)")
    }

    private func underflow(_ at: Int, _ op: String) -> CheckpointError {
        corrupt(at, "pops from an empty stack in \(op)")
    }

    private func unsupported(_ opcode: UInt8, _ at: Int) -> CheckpointError {
        CheckpointError(.unsupportedOpcode, file: file,
                        "\(entry) at byte \(at) uses pickle opcode 0x\(String(opcode, radix: 16)), which a torch.save "
                        + "state dict never contains; re-save the weights with torch.save(model.state_dict(), path)")
    }
}
