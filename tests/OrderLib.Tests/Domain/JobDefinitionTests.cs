
namespace OrderLib.Tests.Domain;

public class JobDefinitionTests
{
    [Test]
    public void Name_is_trimmed()
    {
        Assert.That(new JobDefinition("  extract  ").Name, Is.EqualTo("extract"));
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("\t\n")]
    public void Empty_or_blank_name_is_refused(string name)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => _ = new JobDefinition(name));
        Assert.That(error!.ParamName, Is.EqualTo(nameof(JobDefinition.Name)));
    }

    [Test]
    public void Null_name_is_refused()
    {
        Assert.Throws<OrderLibValidationException>(() => _ = new JobDefinition(null!));
    }

    [Test]
    public void Name_of_200_characters_is_accepted_and_201_refused()
    {
        Assert.That(new JobDefinition(new string('n', 200)).Name, Has.Length.EqualTo(200));
        var error = Assert.Throws<OrderLibValidationException>(() => _ = new JobDefinition(new string('n', 201)));
        Assert.That(error!.Message, Does.Contain("200"));
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void Max_attempts_below_one_is_refused(int maxAttempts)
    {
        var error = Assert.Throws<OrderLibValidationException>(() => _ = new JobDefinition("a") { MaxAttempts = maxAttempts });
        Assert.That(error!.ParamName, Is.EqualTo(nameof(JobDefinition.MaxAttempts)));
    }

    [Test]
    public void Defaults_are_priority_zero_one_attempt_no_schedule()
    {
        var definition = new JobDefinition("a");
        Assert.Multiple(() =>
        {
            Assert.That(definition.Priority, Is.Zero);
            Assert.That(definition.MaxAttempts, Is.EqualTo(1));
            Assert.That(definition.Schedule, Is.Null);
            Assert.That(definition.Description, Is.Null);
        });
    }

    [Test]
    public void Blank_schedule_is_refused_and_schedule_is_trimmed()
    {
        Assert.Throws<OrderLibValidationException>(() => _ = new JobDefinition("a") { Schedule = "  " });
        Assert.That(new JobDefinition("a") { Schedule = " */5 * * * * " }.Schedule, Is.EqualTo("*/5 * * * *"));
    }

    [Test]
    public void Over_long_description_is_refused()
    {
        Assert.Throws<OrderLibValidationException>(() => _ = new JobDefinition("a") { Description = new string('d', JobDefinition.MaxDescriptionLength + 1) });
    }

    [Test]
    public void With_expression_validates_too()
    {
        var definition = new JobDefinition("a");
        Assert.Throws<OrderLibValidationException>(() => _ = definition with { Name = " " });
    }
}

public class ClientIdTests
{
    [Test]
    public void Client_id_is_trimmed_and_compared_by_value()
    {
        Assert.That(new ClientId(" acme "), Is.EqualTo(new ClientId("acme")));
    }

    [TestCase("")]
    [TestCase("  ")]
    public void Blank_client_id_is_refused(string value)
    {
        Assert.Throws<OrderLibValidationException>(() => _ = new ClientId(value));
    }

    [Test]
    public void Over_long_client_id_is_refused()
    {
        Assert.Throws<OrderLibValidationException>(() => _ = new ClientId(new string('c', ClientId.MaxLength + 1)));
    }

    [Test]
    public void Default_client_is_named_default()
    {
        Assert.That(ClientId.Default.Value, Is.EqualTo("default"));
        Assert.That(default(ClientId).Value, Is.EqualTo("default"));
    }
}
