using Grpc.Core;

namespace InferenceServer.Tests.Fixtures;

/// <summary>
/// Writes to calls the server may already have rejected. When the server ends a call early
/// (auth, limits), the client's write races with the final status arriving: the write can fail
/// with Cancelled before the real status is known. The status is read from the response instead.
/// </summary>
internal static class RejectedCalls
{
    public static async Task<RpcException> StatusOfClientStreamAsync<TRequest, TResponse>(AsyncClientStreamingCall<TRequest, TResponse> call, params TRequest[] messages)
    {
        await TryWriteAsync(call.RequestStream, messages);
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
    }

    public static async Task<RpcException> StatusOfDuplexAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, params TRequest[] messages)
    {
        await TryWriteAsync(call.RequestStream, messages);
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
    }

    private static async Task TryWriteAsync<TRequest>(IClientStreamWriter<TRequest> writer, TRequest[] messages)
    {
        try
        {
            foreach (var message in messages)
            {
                await writer.WriteAsync(message);
            }

            await writer.CompleteAsync();
        }
        catch (RpcException)
        {
            // The call already ended; its status is read from the response.
        }
        catch (InvalidOperationException)
        {
            // "Can't write the message because the call is complete."
        }
    }
}
