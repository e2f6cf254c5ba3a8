Console.WriteLine("bench: no entries yet");
