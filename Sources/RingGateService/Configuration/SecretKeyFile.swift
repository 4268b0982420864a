import Foundation

/// Reads the shared secret from a file (a systemd credential, `%d/secret_key`, or a 0600 file) so it
/// never has to be written on a command line, where every user of the host sees it in `ps`.
///
/// The file holds one secret; one trailing newline (`\n` or `\r\n`, as editors and `echo` leave it) is
/// stripped. An empty file is refused: it is almost always a mistake, and running without a secret lets
/// anyone who reaches the inner ports command the gateway. To run without a secret, leave the secret
/// out instead of pointing at an empty file.
public enum SecretKeyFile {
    /// Longest accepted file: a secret is a short line, not a document.
    public static let maxByteCount = 4_096

    /// The secret in `path`, or a problem naming the file and what is wrong with it.
    public static func read(_ path: String) throws(ConfigurationProblem) -> String {
        let files = FileManager.default
        guard let attributes = try? files.attributesOfItem(atPath: path) else {
            throw ConfigurationProblem("cannot read secret key file \(path): no such file")
        }
        guard attributes[.type] as? FileAttributeType != .typeDirectory else {
            throw ConfigurationProblem("cannot read secret key file \(path): it is a directory")
        }
        guard files.isReadableFile(atPath: path), let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigurationProblem("cannot read secret key file \(path): permission denied for this user")
        }
        defer { try? handle.close() }
        let data: Data?
        do { data = try handle.read(upToCount: maxByteCount + 1) } catch {
            throw ConfigurationProblem("cannot read secret key file \(path): \(error.localizedDescription)")
        }
        var bytes = [UInt8](data ?? Data())
        guard bytes.count <= maxByteCount else {
            throw ConfigurationProblem(
                "secret key file \(path) is larger than \(maxByteCount) bytes: it must hold one secret")
        }
        if bytes.last == 10 { bytes.removeLast() }
        if bytes.last == 13 { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw ConfigurationProblem(
                "secret key file \(path) is empty: write the secret into it, or, to run without a secret "
                    + "(anyone who reaches the inner ports can then command the gateway), do not give a secret "
                    + "key file at all")
        }
        guard !bytes.contains(10) else {
            throw ConfigurationProblem("secret key file \(path) holds more than one line: it must hold one secret")
        }
        guard let secret = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationProblem("secret key file \(path) is not UTF-8 text")
        }
        return secret
    }

    /// A warning when `path` can be read by every user of the host (nil when it cannot, or cannot be
    /// checked).
    public static func permissionWarning(_ path: String) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o004 != 0
        else { return nil }
        return
            "secret key file \(path) is readable by every user of this host (mode 0\(String(mode & 0o777, radix: 8))): "
            + "chmod 0600 it (or 0640 with the service's group), or use a systemd credential (LoadCredential=)"
    }
}
