using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>
/// The few small files of an attempt (inputs, pid, final status, outputs), written and read synchronously, each with as
/// few system calls as it takes. Profiled with hundreds of attempts a second, what costs the silo most here is not the
/// bytes but what ext4 does around them: a file truncated to zero (as <see cref="FileMode.Create"/> and
/// <see cref="File.WriteAllText(string, string?)"/> do) and written again frees its block, allocates a new one, and is
/// flushed to disk when it is closed (ext4's <c>auto_da_alloc</c>); and an async file write on Linux is a synchronous
/// one queued to the thread pool. So a file is overwritten in place (written from offset 0, then cut to the new length,
/// which keeps its block), and nothing here is async.
/// </summary>
internal static class SmallFile
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Makes <paramref name="path"/> hold exactly <paramref name="content"/> (UTF-8, no byte order mark), reusing
    /// the file (and its block) when there is one. Not atomic: for files nobody reads while they are written (a temp
    /// file, a file renamed into place afterwards, or one written before the task starts).</summary>
    public static void Overwrite(string path, string content) => Overwrite(path, s_utf8.GetBytes(content), FileMode.OpenOrCreate);

    /// <summary>Like <see cref="Overwrite(string, string)"/>, but only an existing file; false when there is none.</summary>
    public static bool TryOverwriteExisting(string path, string content)
    {
        try
        {
            Overwrite(path, s_utf8.GetBytes(content), FileMode.Open);
            return true;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Makes what <paramref name="path"/> held unreadable without freeing its block: a file of at most one block
    /// is overwritten with as many zero bytes (its size, and so its block, kept for the next
    /// <see cref="Overwrite(string, string)"/> to cut to its own length); a larger one is truncated, which is rare.</summary>
    public static void Blank(string path)
    {
        const int oneBlock = 4096;
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(handle);
        if (length > oneBlock)
        {
            RandomAccess.SetLength(handle, 0);
        }
        else if (length > 0)
        {
            Span<byte> zeros = stackalloc byte[(int)length];
            zeros.Clear();
            RandomAccess.Write(handle, zeros, 0);
        }
    }

    /// <summary>At most <paramref name="maxBytes"/> bytes from the start of <paramref name="path"/>, or null when there is
    /// no such file. One open, as few reads as the file takes (one for a small file), one close.</summary>
    public static byte[]? ReadPrefix(string path, int maxBytes)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            var buffer = new byte[(int)Math.Clamp(length, 0, maxBytes)];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(read), read);
                if (n == 0)
                {
                    break; // shortened meanwhile
                }

                read += n;
            }

            return read == buffer.Length ? buffer : buffer[..read];
        }
    }

    /// <summary>Renames <paramref name="source"/> to <paramref name="destination"/> unless the destination exists, as one
    /// atomic step where the file system can (Linux <c>renameat2</c> with <c>RENAME_NOREPLACE</c>): a check first and a
    /// rename after could replace a file that appeared in between. False when the destination exists.</summary>
    public static bool MoveNoReplace(string source, string destination)
    {
        if (OperatingSystem.IsLinux() && NativeMethods.TryRename(source, destination, replace: false) is { } moved)
        {
            return moved;
        }

        try
        {
            File.Move(source, destination, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(destination))
        {
            return false;
        }
    }

    /// <summary>Renames <paramref name="source"/> to <paramref name="destination"/> (replacing it); false, without the cost
    /// of an exception, when there is no <paramref name="source"/>.</summary>
    public static bool TryMove(string source, string destination)
    {
        if (OperatingSystem.IsLinux() && NativeMethods.TryRename(source, destination, replace: true) is { } moved)
        {
            return moved;
        }

        try
        {
            File.Move(source, destination, overwrite: true);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    private static void Overwrite(string path, byte[] content, FileMode mode)
    {
        using var handle = File.OpenHandle(path, mode, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.Write(handle, content, 0);
        if (RandomAccess.GetLength(handle) != content.Length)
        {
            RandomAccess.SetLength(handle, content.Length);
        }
    }

    private static class NativeMethods
    {
        private const int AtCurrentDirectory = -100;
        private const uint RenameNoReplace = 1;
        private const int ENoEnt = 2;
        private const int EExist = 17;
        private static volatile bool s_noRenameAt2;
        private static volatile bool s_noReplaceUnsupported;

        /// <summary>Renames with <c>renameat2</c>: true when renamed; false when the destination exists (without
        /// <paramref name="replace"/>) or the source does not (with it); null for anything else, and where renameat2 or its
        /// no-replace flag is not available (the C library or the file system lacks it), so the caller falls back to
        /// <see cref="File.Move(string, string, bool)"/>, which also says what any other failure was.</summary>
        public static bool? TryRename(string source, string destination, bool replace)
        {
            if (s_noRenameAt2 || (!replace && s_noReplaceUnsupported))
            {
                return null;
            }

            try
            {
                if (RenameAt2(AtCurrentDirectory, source, AtCurrentDirectory, destination, replace ? 0 : RenameNoReplace) == 0)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                s_noRenameAt2 = true;
                return null;
            }

            switch (Marshal.GetLastPInvokeError())
            {
                case EExist when !replace:
                case ENoEnt when replace:
                    return false;
                case 22 or 38 or 95 when !replace: // EINVAL, ENOSYS, ENOTSUP: the flag is not supported here
                    s_noReplaceUnsupported = true;
                    return null;
                default:
                    return null;
            }
        }

        [DllImport("libc", EntryPoint = "renameat2", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        private static extern int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);
    }
}
