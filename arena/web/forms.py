"""WTForms forms; Flask-WTF adds the CSRF token to each."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from arena.core.accounts import MIN_PASSWORD_LENGTH, USERNAME_PATTERN


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class SignupForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[
            DataRequired(),
            Regexp(
                USERNAME_PATTERN, message="3 to 40 letters, digits, dots, dashes or underscores."
            ),
        ],
    )
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        "Repeat password", validators=[DataRequired(), EqualTo("password", "Passwords differ.")]
    )


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Public display name (optional)",
        validators=[
            Length(max=40),
            Regexp(r"^[\w .'-]*$", message="Letters, digits and . ' - only."),
        ],
    )
    anonymous_on_boards = BooleanField("Stay anonymous on people boards")
    publish_directly = BooleanField(
        "Publish chats shared through the API (e.g. from Open WebUI) at once, "
        "without checking the redactions first"
    )
