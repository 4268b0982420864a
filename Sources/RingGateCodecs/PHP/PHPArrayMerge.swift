/// PHP's `array_replace_recursive`, the merge behind CMD_UPDATE_SESSION (spec §4.6, §9.4).
public enum PHPArrayMerge {
    /// `array_replace_recursive(base, replacement)`: for each entry of `replacement` in order, if the
    /// key exists in `base` and both values are arrays they are merged the same way, otherwise the
    /// replacement value is stored (an existing key keeps its position, a new key is appended). Keys
    /// of `base` missing from `replacement` are kept; lists merge by index (`[1,2,3]` + `[9]` →
    /// `[9,2,3]`).
    ///
    /// Iterative, so a deeply nested session costs heap, not stack. Callers must not merge values
    /// that contain references (`PHPValue.containsReferences`); opaque objects are replaced whole.
    public static func replaceRecursive(_ base: PHPArray, with replacement: PHPArray) -> PHPArray {
        struct Level {
            var base: PHPArray
            let replacement: PHPArray
            var position = 0
            /// Key of this level's array in the level below; nil at the root.
            let key: PHPKey?
        }
        var levels = [Level(base: base, replacement: replacement, key: nil)]
        while let top = levels.indices.last {
            let position = levels[top].position
            if position == levels[top].replacement.count {
                let finished = levels.removeLast()
                guard let parent = levels.indices.last, let key = finished.key else { return finished.base }
                levels[parent].base[key] = .array(finished.base)
                continue
            }
            levels[top].position = position + 1
            let entry = levels[top].replacement[position: position]
            if case .array(let replacementArray) = entry.value,
                case .array(let baseArray)? = levels[top].base[entry.key]
            {
                // Park a placeholder (same position) so the nested array is uniquely referenced and
                // merges in place instead of being copied.
                levels[top].base[entry.key] = .null
                levels.append(Level(base: baseArray, replacement: replacementArray, key: entry.key))
            } else {
                levels[top].base[entry.key] = entry.value
            }
        }
        return base  // unreachable: the root level returns above
    }
}
