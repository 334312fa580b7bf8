/// The file name of `path`: its last non-empty `/` component. Not `NSString.lastPathComponent`,
/// which stops the process on a path ending in a doubled slash and a lone U+FEFF (`a//\u{FEFF}`,
/// swift-corelibs-foundation's slash fixing), a name that list files and source tables can hold.
public func fileName(of path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}
